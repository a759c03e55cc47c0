package dev.vcnn.cli;

import dev.vcnn.models.train.TrainedRun;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --run} option (a picocli mixin) of the commands that read a trained run: eval, predict, visualize. */
final class RunOption {
    @Option(names = "--run", required = true, description = "the run directory written by 'vcnn train'")
    Path dir;

    /** The run in {@link #dir}. */
    TrainedRun open() throws IOException {
        return TrainedRun.open(dir);
    }
}
