package dev.vcnn.engine.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict, small JSON reader and writer for safetensors headers (the engine depends on nothing but
 * the JDK, so it cannot use a JSON library). Objects become {@link LinkedHashMap}s in document order,
 * arrays {@link List}s, integers {@link Long}, other numbers {@link Double}. Nesting is limited so a
 * hostile header cannot exhaust the stack; every error names its character position.
 */
final class Json {
    private static final int MAX_DEPTH = 64;

    /** A syntax error at a character position of the text. */
    static final class SyntaxError extends Exception {
        final int position;

        SyntaxError(String message, int position) {
            super(message);
            this.position = position;
        }
    }

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON value followed only by whitespace. */
    static Object parse(String text) throws SyntaxError {
        Json p = new Json(text);
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw new SyntaxError("unexpected text after the JSON value", p.pos);
        }
        return v;
    }

    private Object value(int depth) throws SyntaxError {
        if (depth > MAX_DEPTH) {
            throw new SyntaxError("nesting deeper than " + MAX_DEPTH, pos);
        }
        skipWhitespace();
        if (pos >= text.length()) {
            throw new SyntaxError("unexpected end of the header", pos);
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw new SyntaxError("unexpected character '" + c + "'", pos);
            }
        };
    }

    private Map<String, Object> object(int depth) throws SyntaxError {
        Map<String, Object> out = new LinkedHashMap<>();
        pos++;
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return out;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw new SyntaxError("expected a quoted key", pos);
            }
            int keyAt = pos;
            String key = string();
            if (out.containsKey(key)) {
                throw new SyntaxError("duplicate key \"" + key + "\"", keyAt);
            }
            skipWhitespace();
            expect(':');
            out.put(key, value(depth + 1));
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else {
                expect('}');
                return out;
            }
        }
    }

    private List<Object> array(int depth) throws SyntaxError {
        List<Object> out = new ArrayList<>();
        pos++;
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return out;
        }
        while (true) {
            out.add(value(depth + 1));
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else {
                expect(']');
                return out;
            }
        }
    }

    private String string() throws SyntaxError {
        pos++; // opening quote
        var sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw new SyntaxError("unterminated string", pos);
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw new SyntaxError("control character in a string", pos - 1);
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw new SyntaxError("unterminated escape", pos);
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw new SyntaxError("short \\u escape", pos);
                    }
                    try {
                        sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw new SyntaxError("bad \\u escape", pos);
                    }
                    pos += 4;
                }
                default -> throw new SyntaxError("bad escape '\\" + e + "'", pos - 1);
            }
        }
    }

    private Object number() throws SyntaxError {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        boolean integral = true;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c >= '0' && c <= '9') {
                pos++;
            } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                integral = false;
                pos++;
            } else {
                break;
            }
        }
        String s = text.substring(start, pos);
        try {
            return integral ? (Object) Long.parseLong(s) : (Object) Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new SyntaxError("bad number '" + s + "'", start);
        }
    }

    private Object literal(String word, Object value) throws SyntaxError {
        if (!text.startsWith(word, pos)) {
            throw new SyntaxError("unexpected character '" + text.charAt(pos) + "'", pos);
        }
        pos += word.length();
        return value;
    }

    private void expect(char c) throws SyntaxError {
        if (peek() != c) {
            throw new SyntaxError("expected '" + c + "'", pos);
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /** A JSON string literal for {@code s}. */
    static String quote(String s) {
        var sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
