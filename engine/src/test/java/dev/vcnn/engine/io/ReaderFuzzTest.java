package dev.vcnn.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of the engine's file readers: whatever the bytes, a reader returns
 * consistent tensors or throws its own {@link IllegalArgumentException}; any other exception, an
 * OutOfMemoryError or a hang is a finding. A plain test run replays the committed corpus under
 * {@code src/test/resources/dev/vcnn/engine/io/ReaderFuzzTestInputs/}; {@code docs/testing.md} gives the
 * command that fuzzes.
 */
class ReaderFuzzTest {
    private static final Path FILE;

    static {
        try {
            Path dir = Files.createTempDirectory("vcnn-fuzz");
            dir.toFile().deleteOnExit();
            FILE = dir.resolve("input");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path file(byte[] data) throws IOException {
        Files.write(FILE, data);
        return FILE;
    }

    private static void expectOwnError(IllegalArgumentException e, String... prefixes) {
        String m = String.valueOf(e.getMessage());
        assertTrue(java.util.Arrays.stream(prefixes).anyMatch(m::startsWith), m);
    }

    @FuzzTest(maxDuration = "2m")
    void safetensors(byte[] data) throws IOException {
        try {
            var c = SafeTensors.readContents(file(data));
            c.tensors().values().forEach(t -> assertEquals(t.shape().numel(), t.numel()));
        } catch (IllegalArgumentException e) {
            expectOwnError(e, "safetensors: ");
        }
    }

    @FuzzTest(maxDuration = "2m")
    void checkpoint(byte[] data) throws IOException {
        try {
            var c = Checkpoint.read(file(data));
            c.model().values().forEach(t -> assertEquals(t.shape().numel(), t.numel()));
        } catch (IllegalArgumentException e) {
            expectOwnError(e, "safetensors: ", "checkpoint: ");
        }
    }
}
