package io.blobgc;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlobHashTest {

    private static final String HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; // sha256("")

    @Test
    void parsesPrintsAndComparesByContent() {
        BlobHash a = BlobHash.parse(HEX), b = BlobHash.parse(HEX.toUpperCase());
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(HEX, b.toHex());
        assertEquals(a, BlobHash.sha256(new byte[0]));
        assertTrue(Arrays.equals(a.toBytes(), BlobHash.of(a.toBytes()).toBytes()));
    }

    @Test
    void malformedInputIsAClearErrorNamingIt() {
        var tooShort = assertThrows(IllegalArgumentException.class, () -> BlobHash.parse("abc"));
        assertTrue(tooShort.getMessage().contains("'abc'") && tooShort.getMessage().contains("got 3"));
        var notHex = assertThrows(IllegalArgumentException.class, () -> BlobHash.parse(HEX.substring(1) + "g"));
        assertTrue(notHex.getMessage().contains("'g' at position 63"));
        assertThrows(IllegalArgumentException.class, () -> BlobHash.parse(null));
        assertThrows(IllegalArgumentException.class, () -> BlobHash.of(new byte[31]));
    }

    @Test
    void onlyAsciiHexDigitsAreHexDigits() {
        // Character.digit takes fullwidth and Arabic-Indic digits: they would name a different, canonical hash
        String fullwidth = "\uFF10" + HEX.substring(1);  // FULLWIDTH DIGIT ZERO
        String arabic = "\u0660" + HEX.substring(1);     // ARABIC-INDIC DIGIT ZERO
        String fullwidthA = HEX.substring(0, 63) + "\uFF41"; // FULLWIDTH LATIN SMALL LETTER A
        for (String s : new String[]{fullwidth, arabic, fullwidthA}) {
            var e = assertThrows(IllegalArgumentException.class, () -> BlobHash.parse(s), s);
            assertTrue(e.getMessage().contains("not a hex digit"), e.getMessage());
        }
    }

    @Test
    void roundTripsThroughJacksonAsHex() throws Exception {
        ObjectMapper m = new ObjectMapper();
        String json = m.writeValueAsString(BlobHash.parse(HEX));
        assertEquals("\"" + HEX + "\"", json);
        assertEquals(BlobHash.parse(HEX), m.readValue(json, BlobHash.class));
    }
}
