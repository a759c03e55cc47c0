package dev.vcnn.cli;

import dev.vcnn.engine.kernel.GemmSampleCheck;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.parallel.Parallelism;
import java.io.PrintStream;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vcnn doctor}: what this JVM gives vcnn (JDK, kernels, vector width, threads) and a timed,
 * checked GEMM, so a user sees at once whether the fast path is on.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Print the kernels chosen for this JVM and time a checked matrix multiply.")
final class DoctorCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--size", defaultValue = "1024", description = "Square GEMM size n (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--threads", description = "Threads (default: vcnn.threads or all processors).")
    Integer threads;

    @Option(names = "--seconds", defaultValue = "2", description = "How long to time the GEMM (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Override
    public Integer call() {
        if (size < 1 || size > 8192) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--size must be in [1, 8192] but was " + size);
        }
        if (threads != null && (threads < 1 || threads > Parallelism.MAX_THREADS)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--threads must be in [1, " + Parallelism.MAX_THREADS + "] but was " + threads);
        }
        PrintStream out = System.out; // as every other command
        Kernels kernels = Kernels.defaults();
        out.printf("java      %s (%s)%n", Runtime.version(), System.getProperty("java.home"));
        out.printf("kernels   %s%n", kernels.name());
        Kernels.simdUnavailableReason().ifPresent(why -> out.printf("          SIMD off: %s%n", why));
        try (Parallelism par = threads == null ? Parallelism.defaults() : Parallelism.of(threads)) {
            out.printf("threads   %d%n", par.threads());
            int n = size;
            var rng = new SplittableRandom(1);
            float[] a = new float[n * n];
            float[] b = new float[n * n];
            float[] c = new float[n * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rng.nextDouble(-1, 1);
                b[i] = (float) rng.nextDouble(-1, 1);
            }
            kernels.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n, par);
            double worst = GemmSampleCheck.worstErrorRatio(false, false, n, n, n, a, b, c, 64, 2);
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            double best = 0;
            int runs = 0;
            do {
                long t0 = System.nanoTime();
                kernels.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n, par);
                best = Math.max(best, 2.0 * n * n * n / (System.nanoTime() - t0));
                runs++;
            } while (System.nanoTime() < deadline);
            out.printf(Locale.ROOT, "sgemm     n=%d: best %.1f GFLOP/s over %d runs; worst sampled error %.1e of the float bound%n",
                    n, best, runs, worst);
        }
        out.flush();
        return 0;
    }
}
