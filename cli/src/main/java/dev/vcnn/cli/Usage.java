package dev.vcnn.cli;

import dev.vcnn.models.data.Datasets;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** The option checks several commands share; each failure is a usage error (exit 2) naming the option. */
final class Usage {
    private Usage() {}

    static void require(CommandSpec spec, boolean ok, String message) {
        if (!ok) {
            throw new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }

    /** {@code --threads}, or all processors when absent. */
    static int threads(CommandSpec spec, Integer threads) {
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        require(spec, t >= 1, "--threads must be >= 1 but was " + t);
        return t;
    }

    static void dataset(CommandSpec spec, String dataset) {
        require(spec, Datasets.NAMES.contains(dataset), "--dataset must be one of " + Datasets.NAMES + " but was '" + dataset + "'");
    }

    static void syntheticSize(CommandSpec spec, int[] size) {
        require(spec, size.length == 2 && size[0] > 0 && size[1] > 0, "--synthetic-size must be two positive counts TRAIN,TEST");
    }
}
