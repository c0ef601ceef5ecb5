package io.blobgc.http;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The names a request's Host header may carry: the configured {@code blob-gc.http.host} and the address it binds;
 * bound to loopback, the loopback names; bound to a wildcard address (0.0.0.0, ::), any IP literal; and
 * {@code blob-gc.http.allowed-hosts} ({@code "*"}: any). DNS rebinding needs a name of the attacker's: it is not
 * among them.
 */
final class AllowedHosts {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]*:[0-9a-f:.]*(%[0-9a-z]+)?");

    private final Set<String> names = new HashSet<>();
    private final boolean anyIpLiteral;
    private final boolean any;

    AllowedHosts(String configuredHost, InetAddress bound, List<String> allowed) {
        names.add(normalize(configuredHost));
        names.add(normalize(bound.getHostAddress()));
        anyIpLiteral = bound.isAnyLocalAddress();
        if (bound.isLoopbackAddress() || bound.isAnyLocalAddress()) {
            names.addAll(List.of("localhost", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1"));
        }
        boolean star = false;
        for (String a : allowed) {
            if (a.equals("*")) star = true;
            else names.add(normalize(a));
        }
        any = star;
    }

    boolean allows(String host) {
        if (any) return true;
        String h = normalize(host);
        if (h.isEmpty()) return false;
        if (names.contains(h)) return true;
        return anyIpLiteral && (IPV4.matcher(h).matches() || IPV6.matcher(h).matches());
    }

    private static String normalize(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        return h;
    }
}
