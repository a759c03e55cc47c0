package dev.vcnn.models.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vcnn.engine.io.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A run directory's JSON files ({@code config.json}, {@code metrics.json}): read with limits, written atomically. */
public final class JsonFiles {
    /** The largest config or metrics file read: 64 MiB (a run's metrics.json is a few hundred KiB). */
    public static final long MAX_BYTES = 64L << 20;

    private JsonFiles() {}

    /** Reads a JSON object file; a bad one (not UTF-8, not a JSON object, over 64 MiB) is an error naming it. */
    public static JsonObject read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IllegalArgumentException("json: file must be at most " + MAX_BYTES + " bytes but was " + size
                    + " (file=" + file + ")");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("json: file must be UTF-8 text but was not (file=" + file + ")");
        }
        try {
            return JsonParser.parseString(text).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("json: file must hold a JSON object but did not parse: " + e.getMessage()
                    + " (file=" + file + ")");
        }
    }

    /** Writes pretty JSON atomically (see {@link AtomicFile}). */
    public static void write(Path file, JsonObject value) throws IOException {
        byte[] bytes = new GsonBuilder().setPrettyPrinting().create().toJson(value).getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> AtomicFile.writeFully(ch, ByteBuffer.wrap(bytes)));
    }
}
