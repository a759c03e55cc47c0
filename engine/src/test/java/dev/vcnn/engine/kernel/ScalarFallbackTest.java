package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without {@code --add-modules jdk.incubator.vector} the engine falls back to the scalar kernels and
 * says so once, naming the fix; with it, {@code vcnn.kernels=scalar} is obeyed silently.
 */
class ScalarFallbackTest {
    private record Result(int exit, String out, String err) {}

    private static Result runProbe(String... jvmArgs) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), KernelsProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        var err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");
        return new Result(p.exitValue(), out, err);
    }

    @Test
    void withoutTheVectorModuleTheScalarKernelsRunWithOneWarning() throws Exception {
        Result r = runProbe();
        assertEquals(0, r.exit(), r.err());
        assertEquals("scalar\nscalar\n", r.out());
        int warnings = r.err().split("using the scalar reference kernels", -1).length - 1;
        assertEquals(1, warnings, r.err());
        assertTrue(r.err().contains("--add-modules jdk.incubator.vector"), r.err());
    }

    @Test
    void forcedScalarIsObeyedWithoutWarning() throws Exception {
        Result r = runProbe("--add-modules", "jdk.incubator.vector", "-Dvcnn.kernels=scalar");
        assertEquals(0, r.exit(), r.err());
        assertEquals("scalar\nscalar\n", r.out());
        assertTrue(!r.err().contains("scalar reference kernels"), r.err());
    }

    @Test
    void forcedWidthIsObeyed() throws Exception {
        Result r = runProbe("--add-modules", "jdk.incubator.vector", "-Dvcnn.simd.bits=128");
        assertEquals(0, r.exit(), r.err());
        assertEquals("simd-128\nsimd-128\n", r.out());
    }

    @Test
    void unknownKernelChoiceStopsTheProgramWithTheNameOfTheProperty() throws Exception {
        Result r = runProbe("--add-modules", "jdk.incubator.vector", "-Dvcnn.kernels=fast");
        assertTrue(r.exit() != 0);
        assertTrue(r.err().contains("vcnn.kernels must be scalar or simd but was 'fast'"), r.err());
    }
}
