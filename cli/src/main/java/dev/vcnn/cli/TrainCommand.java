package dev.vcnn.cli;

import com.google.gson.JsonObject;
import dev.vcnn.models.train.Evaluation;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.JsonFiles;
import dev.vcnn.models.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vcnn train}: trains a model into a run directory. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a model and prints its test accuracy.",
                "With no options: lenet5 on the built-in synthetic dataset (no download)."})
final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    RunOptions run;


    @Option(names = "--threads", description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--out", description = "run directory (default: runs/<model>-<dataset>-<time>)")
    Path out;

    @Option(names = "--resume", description = {"continue the run in --out from its last checkpoint, with the settings it "
            + "started with (its config.json): it finishes with the same weights and metrics as a run never stopped.",
            "Options that would change the result (--model, --epochs, --lr, ...) are refused unless they repeat the saved "
            + "value; --threads, --data-dir and the checkpoint options may differ."})
    boolean resume;

    @CommandLine.Mixin
    CheckpointOptions checkpointing;

    @Option(names = "--overwrite", description = "train into an existing --out, replacing its files")
    boolean overwrite;


    @Override
    public Integer call() throws Exception {
        int t = Usage.threads(spec, threads);
        Path dir = out != null ? out : Path.of("runs", run.model + "-" + run.dataset + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        TrainConfig config;
        if (resume) {
            if (out == null || !Files.exists(dir.resolve(Trainer.CONFIG))) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--resume needs --out naming an earlier run directory with " + Trainer.CONFIG + " (was " + dir + ")");
            }
            JsonObject saved = JsonFiles.read(dir.resolve(Trainer.CONFIG));
            config = TrainConfig.fromJson(saved, dir.resolve(Trainer.CONFIG).toString());
            refuseChangesOnResume(config, dir.resolve(Trainer.CONFIG));
            if (run.dataDir != null) {
                config = config.withDataDir(run.dataDir.toString());
            }
        } else {
            if (Files.isDirectory(dir) && !overwrite) {
                try (var entries = Files.list(dir)) {
                    if (entries.findAny().isPresent()) {
                        throw new CommandLine.ParameterException(spec.commandLine(), "run directory " + dir
                                + " exists and is not empty: pass --resume to continue it or --overwrite to replace it");
                    }
                }
            }
            config = run.config();
        }
        Evaluation test = new Trainer(config, dir, t, System.out).checkpoints(checkpointing.checkpoints()).run(resume);
        if (dev.vcnn.models.Models.spec(config.model()).task() == dev.vcnn.models.Models.Task.CLASSIFY) {
            System.out.printf("test accuracy %.2f%% (%d images), test loss %.4f%n", 100 * test.accuracy(), test.count(), test.loss());
            System.out.print(test.report());
        } else {
            System.out.printf("test reconstruction loss (MSE) %.5f%n", test.loss());
        }
        System.out.println("run directory: " + dir);
        return 0;
    }



    /** A resumed run keeps its settings: an option given with --resume must repeat the saved value. */
    private void refuseChangesOnResume(TrainConfig saved, Path file) {
        var parsed = spec.commandLine().getParseResult();
        if (RunOptions.RESULT_OPTIONS.keySet().stream().noneMatch(parsed::hasMatchedOption)) {
            return;
        }
        TrainConfig given = run.config();
        for (var e : new java.util.TreeMap<>(RunOptions.RESULT_OPTIONS).entrySet()) {
            Object was = e.getValue().apply(saved);
            Object now = e.getValue().apply(given);
            if (parsed.hasMatchedOption(e.getKey()) && !java.util.Objects.equals(was, now)) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getKey() + " must be " + was
                        + " as in " + file + " but was " + now + ": --resume continues a run with the settings it started "
                        + "with; start a new run (another --out) to change them");
            }
        }
    }


    private void require(boolean ok, String message) {
        Usage.require(spec, ok, message);
    }
}
