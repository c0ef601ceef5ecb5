package io.blobgc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogTextTest {

    @Test
    void controlAndFormatCharactersCannotForgeALogLine() {
        String forged = "vm\n12:00:00.000 ERROR i.b.c.Coordinator - \u001b[31mboom\u202e\r";
        String safe = LogText.escape(forged);
        assertFalse(safe.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == 0x202e), safe);
        assertEquals("vm\\u000a12:00:00.000 ERROR i.b.c.Coordinator - \\u001b[31mboom\\u202e\\u000d", safe);
        assertEquals("a\\u005cu000ab", LogText.escape("a\\u000ab"), "a literal backslash-u cannot pass for an escape");
        assertEquals("plain name", LogText.escape("plain name"));
    }

    @Test
    void longTextIsCut() {
        String s = LogText.escape("x".repeat(10_000));
        assertTrue(s.length() < 250 && s.endsWith("(10000 chars)"), s);
    }
}
