package io.blobgc;

/**
 * Text from a request (a holder or owner name, a reason) made safe for a log line: control and format characters
 * (newlines, ANSI escapes, bidirectional overrides) and the backslash become backslash-u escapes (four hex digits),
 * so one input cannot forge another line; long text is cut.
 */
public final class LogText {

    /** At most this many characters of one value reach a log line. */
    public static final int MAX = 200;

    private LogText() {
    }

    public static String escape(Object value) {
        if (value == null) return "null";
        String s = value.toString();
        StringBuilder out = null;
        int n = Math.min(s.length(), MAX);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (unsafe(c)) {
                if (out == null) out = new StringBuilder(n + 16).append(s, 0, i);
                out.append(String.format("\\u%04x", (int) c));
            } else if (out != null) {
                out.append(c);
            }
        }
        String head = out == null ? s.substring(0, n) : out.toString();
        return s.length() > MAX ? head + "...(" + s.length() + " chars)" : head;
    }

    /** A control (Cc), format (Cf: bidi overrides, zero-width), line or paragraph separator, or a backslash. */
    public static boolean unsafe(char c) {
        int type = Character.getType(c);
        return c == '\\' || type == Character.CONTROL || type == Character.FORMAT
                || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }
}
