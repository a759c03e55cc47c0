package dev.vcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DoctorCommandTest {
    @Test
    void reportsTheKernelsAndATimedCheckedGemm() {
        CliRun r = CliRun.of("doctor", "--size", "96", "--seconds", "0.2", "--threads", "2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("kernels   simd-"), r.out());
        assertTrue(r.out().contains("threads   2"), r.out());
        assertTrue(r.out().matches("(?s).*sgemm     n=96: best [0-9.]+ GFLOP/s over [0-9]+ runs.*"), r.out());
    }

    @Test
    void badArgumentsAreUsageErrorsNamingTheOption() {
        CliRun size = CliRun.of("doctor", "--size", "0");
        assertEquals(2, size.exit());
        assertTrue(size.err().contains("--size must be in [1, 8192] but was 0"), size.err());
        CliRun unknown = CliRun.of("doctor", "--sise", "5");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("Unknown option") && unknown.err().contains("'--sise'"), unknown.err());
    }
}
