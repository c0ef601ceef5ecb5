package io.blobgc.http;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.LogText;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Every input of the admin API checked against its documented bound ({@code blob-gc.http}, README "Security
 * model"): a violation is an {@link ApiError} 400 naming the field and, for a bound, its setting.
 */
final class Inputs {

    /** Reads request bodies strictly: no unknown fields, duplicate keys, trailing content or numbers for strings. */
    static final ObjectMapper STRICT = strictMapper();

    /** A duration with its unit: "30s", "10m", "1.5h" (a bare number would be milliseconds to HOCON). */
    private static final Pattern DURATION = Pattern.compile("\\d{1,12}(\\.\\d{1,9})?\\s*[a-zA-Z]{1,12}");

    private final BlobGcSettings.HttpEdge limits;
    private final Duration maxLeaseTtl;

    Inputs(BlobGcSettings settings) {
        this.limits = settings.http();
        this.maxLeaseTtl = settings.maxLeaseTtl();
    }

    BlobGcSettings.HttpEdge limits() {
        return limits;
    }

    private static ObjectMapper strictMapper() {
        ObjectMapper m = JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
        for (CoercionInputShape shape : new CoercionInputShape[]{CoercionInputShape.Integer, CoercionInputShape.Float,
                CoercionInputShape.Boolean}) {
            m.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        return m;
    }

    // ---- bodies

    /** A JSON object of {@code type}, or a 400 saying what is wrong where. */
    static <T> T json(String text, Class<T> type) {
        JsonNode tree;
        try (JsonParser p = STRICT.createParser(text)) {
            tree = STRICT.readTree(p);
            if (tree == null || tree.isMissingNode() || tree.isNull()) {
                throw ApiError.badRequest("a JSON object body is required");
            }
            JsonProcessingException trailing = null;
            try {
                if (p.nextToken() != null) trailing = new JsonParseException(p, "trailing content");
            } catch (JsonProcessingException e) {
                trailing = e;
            }
            if (trailing != null) {
                throw ApiError.badRequest("malformed JSON body: trailing content after the JSON object");
            }
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("malformed JSON body: " + firstLine(e.getOriginalMessage()));
        } catch (java.io.IOException e) {
            throw ApiError.badRequest("malformed JSON body: " + firstLine(e.getMessage()));
        }
        if (!tree.isObject()) throw ApiError.badRequest("the body must be a JSON object");
        try {
            return STRICT.treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            throw ApiError.badRequest("unknown field '" + LogText.escape(e.getPropertyName())
                    + "' (this call takes " + e.getKnownPropertyIds().stream().map(String::valueOf).sorted()
                    .collect(Collectors.joining(", ")) + ")");
        } catch (JsonMappingException e) {
            throw ApiError.badRequest("field '" + path(e) + "' has the wrong type: "
                    + firstLine(e.getOriginalMessage()).replaceAll(" \\(but could if.*", ""));
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("malformed JSON body: " + firstLine(e.getOriginalMessage()));
        }
    }

    private static String path(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!b.isEmpty()) b.append('.');
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.isEmpty() ? "(body)" : LogText.escape(b.toString());
    }

    // ---- values

    BlobHash hash(String field, String hex) {
        try {
            return BlobHash.parse(hex);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("'" + field + "': " + e.getMessage());
        }
    }

    /** Counts hashes across one request against {@code max-hashes}. */
    final class Budget {
        private int used;

        List<BlobHash> hashes(String field, List<String> list) {
            if (list == null) return List.of();
            take(field, list.size());
            List<BlobHash> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) out.add(hash(field + "[" + i + "]", list.get(i)));
            return out;
        }

        void take(String field, int n) {
            used += n;
            if (used > limits.maxHashes()) {
                throw ApiError.badRequest("'" + field + "': too many hashes in one request (at most "
                        + limits.maxHashes() + ", blob-gc.http.max-hashes)");
            }
        }
    }

    Budget budget() {
        return new Budget();
    }

    /** The dependsOn query parameter: hashes separated by commas (blanks around them ignored). */
    List<BlobHash> commaSeparated(String field, String text) {
        List<String> parts = new ArrayList<>();
        for (String s : text.split(",", -1)) if (!s.isBlank()) parts.add(s.trim());
        return budget().hashes(field, parts);
    }

    /** A pin owner or lease holder: required, at most max-name-length, no control or format characters. */
    String name(String field, String value) {
        if (value == null || value.isBlank()) throw ApiError.badRequest("'" + field + "' is required");
        return text(field, value, limits.maxNameLength(), "blob-gc.http.max-name-length");
    }

    /** A pin reason: optional, at most max-reason-length, no control or format characters. */
    String reason(String value) {
        return value == null ? null : text("reason", value, limits.maxReasonLength(), "blob-gc.http.max-reason-length");
    }

    private static String text(String field, String value, int max, String setting) {
        if (value.length() > max) {
            throw ApiError.badRequest("'" + field + "' is " + value.length() + " characters long, at most "
                    + max + " (" + setting + ")");
        }
        for (int i = 0; i < value.length(); i++) {
            if (LogText.unsafe(value.charAt(i)) && value.charAt(i) != '\\') {
                throw ApiError.badRequest("'" + field + "' must not contain control or format characters "
                        + String.format("(U+%04X at position %d)", (int) value.charAt(i), i));
            }
        }
        return value;
    }

    Duration pinTtl(String text) {
        return ttl(text, limits.maxPinTtl(), "blob-gc.http.max-pin-ttl");
    }

    Duration leaseTtl(String text) {
        return ttl(text, maxLeaseTtl, "blob-gc.reporter.max-lease-ttl");
    }

    /** A TTL: a string with a unit, between min-ttl and {@code max}. */
    private Duration ttl(String text, Duration max, String maxSetting) {
        String bounds = "between " + show(limits.minTtl()) + " and " + show(max) + " (blob-gc.http.min-ttl, "
                + maxSetting + ")";
        if (text == null || !DURATION.matcher(text.trim()).matches()) {
            throw ApiError.badRequest("'ttl' must be a duration with its unit such as \"30s\", \"10m\" or "
                    + "\"1h\", " + bounds + ", not " + (text == null ? "null" : "'" + LogText.escape(text) + "'"));
        }
        Duration d;
        try {
            d = ConfigFactory.parseMap(Map.of("d", text.trim())).getDuration("d");
        } catch (ConfigException | ArithmeticException e) {
            throw ApiError.badRequest("'ttl' must be a duration such as \"30s\", " + bounds + ", not '"
                    + LogText.escape(text) + "'");
        }
        if (d.compareTo(limits.minTtl()) < 0 || d.compareTo(max) > 0) {
            throw ApiError.badRequest("'ttl' must be " + bounds + ", not '" + LogText.escape(text) + "'");
        }
        return d;
    }

    private static String show(Duration d) {
        if (d.toDays() > 0 && d.equals(Duration.ofDays(d.toDays()))) return d.toDays() + "d";
        if (d.toHours() > 0 && d.equals(Duration.ofHours(d.toHours()))) return d.toHours() + "h";
        if (d.toMinutes() > 0 && d.equals(Duration.ofMinutes(d.toMinutes()))) return d.toMinutes() + "m";
        if (d.toSeconds() > 0 && d.equals(Duration.ofSeconds(d.toSeconds()))) return d.toSeconds() + "s";
        return d.toMillis() + "ms";
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
