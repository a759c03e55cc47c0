package dev.vcnn.cli;

import dev.vcnn.models.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** When a training command checkpoints inside an epoch (it always does at epoch ends): shared by vcnn train and vcnn spark train. */
public final class CheckpointOptions {
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--checkpoint-every", paramLabel = "STEPS", defaultValue = "1000",
            description = "also checkpoint inside an epoch every STEPS optimizer steps; 0: only at epoch ends and by time "
                    + "(default: ${DEFAULT-VALUE})")
    int checkpointEvery;

    @Option(names = "--checkpoint-minutes", paramLabel = "MINUTES", defaultValue = "5",
            description = "also checkpoint once this much time has passed since the last checkpoint (default: ${DEFAULT-VALUE})")
    double checkpointMinutes;

    /**
     * The checkpoint policy these options give.
     *
     * @throws CommandLine.ParameterException naming the option whose value is out of range
     */
    public Trainer.Checkpoints checkpoints() {
        Usage.require(spec, checkpointEvery >= 0, "--checkpoint-every must be >= 0 but was " + checkpointEvery);
        Usage.require(spec, checkpointMinutes > 0, "--checkpoint-minutes must be > 0 but was " + checkpointMinutes);
        return new Trainer.Checkpoints(checkpointEvery, checkpointMinutes * 60);
    }
}
