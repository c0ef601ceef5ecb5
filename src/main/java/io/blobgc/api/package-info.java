/**
 * The admin API's request and response bodies (issue 23, "records at the edge"): small records that the HTTP routes
 * ({@code io.blobgc.http}) write and the command line ({@code io.blobgc.cli}) reads, with {@link io.blobgc.api.ApiJson}
 * the one mapper both use. Responses are mapped from the coordinator's and the ledger's types by {@code from(...)}
 * methods, so a change to a journal type no longer changes what API clients see. Field names and order are the API's.
 */
package io.blobgc.api;
