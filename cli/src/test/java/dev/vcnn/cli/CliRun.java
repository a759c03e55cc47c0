package dev.vcnn.cli;

import dev.vcnn.models.data.Synthetic;
import dev.vcnn.models.viz.Images;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** One {@code vcnn} invocation in-process: exit code, standard output (picocli's and System.out) and errors. */
record CliRun(int exit, String out, String err) {
    static CliRun of(String... args) {
        var err = new StringWriter();
        var captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        var out = new PrintWriter(new java.io.OutputStreamWriter(captured, StandardCharsets.UTF_8), true);
        cl.setOut(out);
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int exit = cl.execute(args);
            out.flush(); // printf does not flush a PrintWriter
            return new CliRun(exit, captured.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(original);
        }
    }

    /** A synthetic test image (grey, 28×28) saved as a PNG file. */
    static Path syntheticPng(Path file, long seed) throws java.io.IOException {
        var d = Synthetic.generate("p", seed, 4000, 1, 1, 28);
        Images.writePng(Images.fromBytes(d.pixels(), 0, 1, 28, 28), file);
        return file;
    }
}
