package dev.vcnn.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The header JSON reader: every value kind, every escape, and each error at the position it names. */
class JsonTest {
    private static void fails(String text, String message, int position) {
        var e = assertThrows(Json.SyntaxError.class, () -> Json.parse(text), text);
        assertEquals(message, e.getMessage(), text);
        assertEquals(position, e.position, text);
    }

    @Test
    void valuesOfEveryKind() throws Json.SyntaxError {
        assertEquals(Arrays.asList(true, false, null), Json.parse("[true,false,null]"));
        assertEquals(-12L, Json.parse("-12"));
        assertEquals(0L, Json.parse("0"));
        assertEquals(1500.0, Json.parse("1.5e3"));
        assertEquals(-0.25, Json.parse("-2.5E-1"));
        assertEquals(List.of(), Json.parse("[ ]"));
        assertEquals(Map.of(), Json.parse("{ }"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", List.of(1L, 2L));
        m.put("a", Map.of("c", "d"));
        Object parsed = Json.parse(" \t\r\n{ \"b\" : [ 1 , 2 ] ,\n\"a\":{\"c\":\"d\"} } \n");
        assertEquals(m, parsed);
        assertEquals(List.of("b", "a"), List.copyOf(((Map<?, ?>) parsed).keySet()), "document order");
    }

    @Test
    void everyEscapeAndTheQuoteRoundTrip() throws Json.SyntaxError {
        assertEquals("a\"b\\c/d\b\f\n\r\té", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\""));
        String tricky = "q\"b\\n\nr\rt\t\u0001\u001f é";
        assertEquals("\"q\\\"b\\\\n\\nr\\rt\\t\\u0001\\u001f é\"", Json.quote(tricky));
        assertEquals(tricky, Json.parse(Json.quote(tricky)));
    }

    @Test
    void errorsNameWhatAndWhere() {
        fails("", "unexpected end of the header", 0);
        fails("nul", "unexpected character 'n'", 0);
        fails("tru", "unexpected character 't'", 0);
        fails("fals", "unexpected character 'f'", 0);
        fails("[1 x", "expected ']'", 3);
        fails("[x", "unexpected character 'x'", 1);
        fails("x", "unexpected character 'x'", 0);
        fails("\"ab", "unterminated string", 3);
        fails("\"a\\", "unterminated escape", 3);
        fails("\"\\x\"", "bad escape '\\x'", 2);
        fails("\"\\u12\"", "short \\u escape", 3);
        fails("\"\\uzzzz\"", "bad \\u escape", 3);
        fails("\"a\u0001\"", "control character in a string", 2);
        fails("1-", "bad number '1-'", 0);
        fails("{\"a\":1,}", "expected a quoted key", 7);
        fails("{1:2}", "expected a quoted key", 1);
        fails("{\"a\":1,\"a\":2}", "duplicate key \"a\"", 7);
        fails("{\"a\" 1}", "expected ':'", 5);
        fails("{\"a\":1 \"b\"}", "expected '}'", 7);
        fails("[1,2", "expected ']'", 4);
        fails("[1 2]", "expected ']'", 3);
        fails("{} x", "unexpected text after the JSON value", 3);
        // Values at depths 0..64 are allowed: 65 nested arrays parse, the 66th bracket is refused.
        fails("[".repeat(66) + "]".repeat(66), "nesting deeper than 64", 65);
        try {
            Json.parse("[".repeat(65) + "]".repeat(65));
        } catch (Json.SyntaxError e) {
            throw new AssertionError("65 nested arrays must parse", e);
        }
    }
}
