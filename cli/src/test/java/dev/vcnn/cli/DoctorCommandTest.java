package dev.vcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class DoctorCommandTest {
    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void reportsTheKernelsAndATimedCheckedGemm() {
        Run r = run("doctor", "--size", "96", "--seconds", "0.2", "--threads", "2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("kernels   simd-"), r.out());
        assertTrue(r.out().contains("threads   2"), r.out());
        assertTrue(r.out().matches("(?s).*sgemm     n=96: best [0-9.]+ GFLOP/s over [0-9]+ runs.*"), r.out());
    }

    @Test
    void badArgumentsAreUsageErrorsNamingTheOption() {
        Run size = run("doctor", "--size", "0");
        assertEquals(2, size.exit());
        assertTrue(size.err().contains("--size must be in [1, 8192] but was 0"), size.err());
        Run unknown = run("doctor", "--sise", "5");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("Unknown option") && unknown.err().contains("'--sise'"), unknown.err());
    }
}
