package dev.vcnn.cli;

import dev.vcnn.models.experiments.Experiments;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vcnn experiment NAME}: one of the classic experiments, as training runs plus a Markdown report. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Runs a classic experiment (init-compare, transfer, autoencoder) and writes a Markdown report with plots.")
final class ExperimentCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "init-compare, transfer or autoencoder")
    String name;

    @Option(names = "--dataset", defaultValue = "synthetic", description = "synthetic, mnist, fashion-mnist, cifar10 or folder (default: ${DEFAULT-VALUE})")
    String dataset;

    @Option(names = "--data-dir", description = "folder with the dataset's files (not needed for synthetic)")
    Path dataDir;

    @Option(names = "--epochs", description = "epochs per run (default: the experiment's)")
    Integer epochs;

    @Option(names = "--seed", defaultValue = "1", description = "seed of every run (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--synthetic-size", split = ",", paramLabel = "TRAIN,TEST", defaultValue = "12000,2000",
            description = "synthetic training and test images (default: ${DEFAULT-VALUE})")
    int[] syntheticSize;

    @Option(names = "--out", description = "output folder (default: experiments/NAME-DATASET)")
    Path out;

    @Option(names = "--backbone", paramLabel = "RUN_DIR", description = "transfer: take the backbone from this run "
            + "(a vcnn run or one made by 'vcnn onnx import') instead of pretraining LeNet-5 on classes 0-4")
    Path backbone;

    @Option(names = "--classes", split = ",", paramLabel = "I,J,...", description = "transfer: the classes the new head "
            + "learns (default: 5-9 after the pretraining; every class with --backbone)")
    java.util.List<Integer> classes;

    @Override
    public Integer call() throws Exception {
        Usage.require(spec, Experiments.NAMES.contains(name), "NAME must be one of " + Experiments.NAMES + " but was '" + name + "'");
        Usage.dataset(spec, dataset);
        Usage.require(spec, epochs == null || epochs >= 1, "--epochs must be >= 1 but was " + epochs);
        Usage.syntheticSize(spec, syntheticSize);
        int t = Usage.threads(spec, threads);
        Path dir = out != null ? out : Path.of("experiments", name + "-" + dataset);
        Usage.require(spec, (backbone == null && classes == null) || name.equals("transfer"),
                "--backbone and --classes belong to the transfer experiment, not '" + name + "'");
        Usage.require(spec, classes == null || classes.size() >= 2, "--classes must name at least two classes but named " + classes);
        Usage.require(spec, backbone == null || java.nio.file.Files.isDirectory(backbone),
                "--backbone must name a run directory but " + backbone + " is not a directory");
        var options = new Experiments.Options(dataset, dataDir == null ? null : dataDir.toString(), epochs, seed, syntheticSize[0],
                syntheticSize[1], t, backbone == null ? null : backbone.toString(), classes);
        Path report = new Experiments(options, dir, System.out).run(name);
        System.out.println("report: " + report);
        return 0;
    }
}
