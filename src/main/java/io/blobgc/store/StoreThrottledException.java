package io.blobgc.store;

import java.io.IOException;

/**
 * The store pushed back: it asked us to slow down (S3's 503 SlowDown, a 429) or dropped the connection under load.
 * Unlike other failures it says nothing about the blob: the sweeper retries such a deletion after a pause and lowers
 * its rate, instead of counting it as failed.
 */
public final class StoreThrottledException extends IOException {

    public StoreThrottledException(String message, Throwable cause) {
        super(message, cause);
    }
}
