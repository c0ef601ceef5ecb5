package io.blobgc.http;

import io.blobgc.LogText;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The browser and edge checks the admin API ({@link AdminRoutes}) and Pekko Management ({@link Management}) share:
 * the Host check (DNS rebinding), the cross-origin check on calls that change state, and the token comparison.
 */
final class Edge {

    private Edge() {
    }

    /**
     * Every request's Host must name the server (see {@link AllowedHosts}): a page on another name that resolves to
     * this address (DNS rebinding) cannot read or call it; else 403 {@code host_not_allowed}.
     */
    static Route hostChecked(AllowedHosts hosts, String server, Supplier<Route> inner) {
        return Directives.extractHost(host -> {
            if (hosts.allows(host)) return inner.get();
            return Directives.complete(Responses.error(StatusCodes.FORBIDDEN, "host_not_allowed", "Host '"
                    + LogText.escape(host) + "' does not name " + server
                    + ": use its address or a name in blob-gc.http.allowed-hosts"));
        });
    }

    /**
     * For a call that changes state: 403 {@code cross_origin} when it comes from another origin ({@code Origin} not
     * {@code http://<Host>}) or another site ({@code Sec-Fetch-Site} other than same-origin/none); else empty.
     */
    static Optional<HttpResponse> crossOrigin(HttpRequest req) {
        Optional<String> origin = req.getHeader("Origin").map(HttpHeader::value);
        String host = req.getHeader("Host").map(HttpHeader::value).orElse("");
        if (origin.isPresent() && !origin.get().equalsIgnoreCase("http://" + host)) {
            return Optional.of(Responses.error(StatusCodes.FORBIDDEN, "cross_origin", "a call that changes state "
                    + "from another origin (Origin: " + LogText.escape(origin.get()) + ") is refused"));
        }
        Optional<String> site = req.getHeader("Sec-Fetch-Site").map(HttpHeader::value);
        if (site.isPresent() && !site.get().equals("same-origin") && !site.get().equals("none")) {
            return Optional.of(Responses.error(StatusCodes.FORBIDDEN, "cross_origin", "a call that changes state "
                    + "from another site (Sec-Fetch-Site: " + LogText.escape(site.get()) + ") is refused"));
        }
        return Optional.empty();
    }

    /** Whether the request carries {@code Authorization: Bearer <token>}, compared in constant time. */
    static boolean hasToken(HttpRequest req, String token) {
        Optional<String> auth = req.getHeader("Authorization").map(HttpHeader::value);
        return auth.isPresent() && MessageDigest.isEqual(auth.get().getBytes(StandardCharsets.UTF_8),
                ("Bearer " + token).getBytes(StandardCharsets.UTF_8));
    }
}
