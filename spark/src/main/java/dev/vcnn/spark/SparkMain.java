package dev.vcnn.spark;

import dev.vcnn.models.train.TrainConfig;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vcnn spark}: vcnn on Apache Spark, on an embedded local master or under {@code spark-submit}. */
@Command(name = "vcnn spark", mixinStandardHelpOptions = true, version = "vcnn 0.1.0",
        description = "Data-parallel training and batch inference on Apache Spark.",
        subcommands = {SparkMain.Train.class, SparkMain.Predict.class, CommandLine.HelpCommand.class})
public final class SparkMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        var cl = new CommandLine(new SparkMain());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // Expected failures (a missing folder, an image that does not decode, even inside a failed Spark job) print
            // their own message, not a stack trace.
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IllegalArgumentException || t instanceof IllegalStateException
                        || t instanceof java.io.IOException || t instanceof java.io.UncheckedIOException
                        || t instanceof org.apache.spark.sql.AnalysisException) {
                    cmd.getErr().println("vcnn spark: " + t.getMessage());
                    return 1;
                }
            }
            throw e;
        });
        System.exit(cl.execute(args));
    }

    /** {@code vcnn spark train}: the options of {@code vcnn train} that define a run, plus where and how it spreads. */
    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Trains a classifier data-parallel on Spark: each step the weights are broadcast, every partition "
                    + "computes the gradient of its share of the batch, and the driver adds them in partition order. The "
                    + "result depends on --partitions and --seed only, not on the executors, their threads or retried tasks.",
                    "With --backbone, featurize once: the frozen backbone computes every training image's features in one "
                    + "distributed pass, cached on the executors, and only the new linear head trains.",
                    "Writes the run directory vcnn train writes: vcnn eval, predict and visualize take it."})
    static final class Train implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        dev.vcnn.cli.RunOptions run;

        @Option(names = "--out", description = "run directory (default: runs/MODEL-DATASET-spark-TIME)")
        Path out;

        @Option(names = "--shard-data", description = {"each partition trains on its own record range of the training "
                + "set (as PyTorch's DistributedSampler shards one), and its executor reads only that range (MNIST and "
                + "CIFAR-10 files, train/ image folders; other sets are read whole, then cut): every epoch a partition "
                + "shuffles its range and each step takes --batch-size / --partitions images from it. Without it every "
                + "partition takes its rows of one JVM's batches, and the run follows one JVM's."})
        boolean shardData;

        @Option(names = "--resume", description = "continue the run in --out from its last checkpoint with the settings "
                + "it started with (its config.json, --partitions and --sync-every, which default to the run's): it finishes "
                + "with the weights and metrics of a run never stopped. Options that define the run may not be given with it.")
        boolean resume;

        @CommandLine.Mixin
        dev.vcnn.cli.CheckpointOptions checkpointing;

        @Option(names = "--master", description = "Spark master of the embedded driver (default: local[P], one task thread "
                + "a partition); under spark-submit the submitted master is used")
        String master;

        @Option(names = "--partitions", defaultValue = "2", description = "partitions each batch is split into (default: ${DEFAULT-VALUE})")
        int partitions;

        @Option(names = "--sync-every", defaultValue = "1", paramLabel = "K", description = {"local steps between "
                + "synchronisations (default: ${DEFAULT-VALUE}). 1 adds the partitions' gradients every step, as one JVM "
                + "at the global batch would. K > 1 lets each partition take K optimizer steps of its own, then averages "
                + "weights and optimizer state: K times fewer weight broadcasts, but the partitions drift apart between "
                + "averages, which costs accuracy as K and the partition count grow."})
        int syncEvery;

        @Override
        public Integer call() throws Exception {
            require(partitions >= 1, "--partitions must be >= 1 but was " + partitions);
            require(syncEvery >= 1, "--sync-every must be >= 1 but was " + syncEvery);
            var checkpoints = checkpointing.checkpoints();
            if (resume) {
                return resume(checkpoints);
            }
            TrainConfig c = run.config();
            require(c.batchSize() >= partitions, "--batch-size must be >= --partitions (" + partitions + ") but was "
                    + c.batchSize());
            Path dir = out != null ? out : Path.of("runs", run.model() + "-" + run.dataset() + "-spark-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            boolean submitted = System.getProperty("spark.master") != null;
            try (JavaSparkContext sc = submitted && master == null
                    ? new JavaSparkContext(new org.apache.spark.SparkConf().setAppName("vcnn spark train"))
                    : LocalSpark.context(master != null ? master : "local[" + partitions + "]", "vcnn spark train")) {
                sc.setLogLevel("WARN");
                var r = run.backbone() != null ? new FeaturizedTransfer(sc, c, partitions, dir, System.out).run()
                        : new DataParallelTrainer(sc, c, partitions, dir, System.out).syncEvery(syncEvery).sharded(shardData)
                                .checkpoints(checkpoints).run();
                System.out.printf("test accuracy %.2f%% (%d images), test loss %.4f%n", 100 * r.test().accuracy(),
                        r.test().count(), r.test().loss());
                System.out.printf("%d steps, %.0f img/s in training; %,d bytes broadcast and %,d collected a step; %s%n",
                        r.steps(), r.imagesPerSecond(), r.bytesBroadcastPerStep(), r.bytesCollectedPerStep(),
                        r.timing().perSync());
                System.out.println("run directory: " + dir);
            }
            return 0;
        }

        private Integer resume(dev.vcnn.models.train.Trainer.Checkpoints checkpoints) throws Exception {
            var parsed = spec.commandLine().getParseResult();
            for (String o : new java.util.TreeSet<>(dev.vcnn.cli.RunOptions.RESULT_OPTIONS.keySet())) {
                require(!parsed.hasMatchedOption(o), o + " may not be given with --resume: the run continues with the "
                        + "settings in its config.json; start a new run (another --out) to change them");
            }
            require(out != null && java.nio.file.Files.isRegularFile(out.resolve(dev.vcnn.models.train.Trainer.CONFIG)),
                    "--resume needs --out naming an earlier run directory with config.json (was " + out + ")");
            Path file = out.resolve(dev.vcnn.models.train.Trainer.CONFIG);
            TrainConfig c = TrainConfig.fromJson(dev.vcnn.models.train.JsonFiles.read(file), file.toString());
            if (run.dataDir() != null) {
                c = c.withDataDir(run.dataDir().toString());
            }
            require(c.backbone() == null, "--resume continues data-parallel runs; a featurize-once run (--backbone) "
                    + "starts again instead");
            // --partitions and --sync-every default to the checkpoint's; given, they must repeat them.
            Path checkpoint = out.resolve(dev.vcnn.models.train.Trainer.CHECKPOINT);
            if (java.nio.file.Files.isRegularFile(checkpoint)) {
                var meta = dev.vcnn.engine.io.Checkpoint.read(checkpoint).metadata();
                if (!parsed.hasMatchedOption("--partitions") && meta.containsKey("spark_partitions")) {
                    partitions = Integer.parseInt(meta.get("spark_partitions"));
                }
                if (!parsed.hasMatchedOption("--sync-every") && meta.containsKey("spark_sync_every")) {
                    syncEvery = Integer.parseInt(meta.get("spark_sync_every"));
                }
                if (!parsed.hasMatchedOption("--shard-data") && meta.containsKey("spark_sharded")) {
                    shardData = Boolean.parseBoolean(meta.get("spark_sharded"));
                }
            }
            try (JavaSparkContext sc = LocalSpark.context(master != null ? master : "local[" + partitions + "]",
                    "vcnn spark train")) {
                sc.setLogLevel("WARN");
                var r = new DataParallelTrainer(sc, c, partitions, out, System.out).syncEvery(syncEvery).sharded(shardData)
                        .checkpoints(checkpoints).run(true);
                System.out.printf("test accuracy %.2f%% (%d images), test loss %.4f%n", 100 * r.test().accuracy(),
                        r.test().count(), r.test().loss());
                System.out.println("run directory: " + out);
            }
            return 0;
        }

        private void require(boolean ok, String message) {
            if (!ok) {
                throw new CommandLine.ParameterException(spec.commandLine(), message);
            }
        }
    }

    /** {@code vcnn spark predict}: every image of a folder through a run's model, as JSON lines or Parquet. */
    @Command(name = "predict", mixinStandardHelpOptions = true,
            description = {"Classifies every image under --images (PNG, JPEG, BMP or GIF; sub-folders too) with a trained run, "
                    + "in batches on each executor.", "Writes a folder of part files: one JSON line per image, "
                    + "{\"path\": ..., \"top\": [{\"label\": ..., \"probability\": ...}, ...]} (vcnn predict --json's format), "
                    + "or with --format parquet the same columns in Parquet."})
    static final class Predict implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--run", required = true, description = "a run directory (vcnn train, vcnn spark train or vcnn onnx "
                + "import) every executor can read")
        Path run;

        @Option(names = "--images", required = true, description = "folder of images (a path or URI every executor can read)")
        String images;

        @Option(names = "--out", required = true, description = "output folder; must not exist")
        Path out;

        @Option(names = "--format", defaultValue = "json", description = "json or parquet (default: ${DEFAULT-VALUE})")
        String format;

        @Option(names = "--top", defaultValue = "5", description = "classes per image (default: ${DEFAULT-VALUE})")
        int top;

        @Option(names = "--batch-size", defaultValue = "32", description = "images per forward pass (default: ${DEFAULT-VALUE})")
        int batchSize;

        @Option(names = "--master", defaultValue = "local[2]", description = "Spark master of the embedded driver "
                + "(default: ${DEFAULT-VALUE}); under spark-submit the submitted master is used")
        String master;

        @Override
        public Integer call() throws Exception {
            if (!format.equals("json") && !format.equals("parquet")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--format must be json or parquet but was '" + format + "'");
            }
            if (top < 1 || batchSize < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--top and --batch-size must be >= 1 but were "
                        + top + " and " + batchSize);
            }
            if (java.nio.file.Files.exists(out)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + " exists: name a new folder");
            }
            dev.vcnn.models.train.TrainedRun.open(run).requireClassifier("spark predict"); // fail here, not on an executor
            boolean submitted = System.getProperty("spark.master") != null;
            try (var session = submitted ? org.apache.spark.sql.SparkSession.builder().appName("vcnn spark predict").getOrCreate()
                    : LocalSpark.session(master, "vcnn spark predict")) {
                session.sparkContext().setLogLevel("WARN");
                long n = BatchInference.write(session, run.toString(), images, out.toString(), format, top, batchSize);
                System.out.printf("%d images classified into %s (%s)%n", n, out, format);
            }
            return 0;
        }
    }
}
