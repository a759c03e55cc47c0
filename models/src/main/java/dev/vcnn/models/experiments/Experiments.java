package dev.vcnn.models.experiments;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.vcnn.engine.io.AtomicFile;
import dev.vcnn.models.Models;
import dev.vcnn.models.train.Evaluation;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.JsonFiles;
import dev.vcnn.models.train.Trainer;
import dev.vcnn.models.viz.Charts;
import dev.vcnn.models.viz.Images;
import dev.vcnn.models.viz.RunPictures;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * The classic experiments, each a set of ordinary training runs (run directories under {@code runs/})
 * and a Markdown report with its plots: {@code init-compare}, {@code transfer} and {@code autoencoder}.
 */
public final class Experiments {
    public static final List<String> NAMES = List.of("init-compare", "transfer", "autoencoder");
    public static final String REPORT = "report.md";

    /**
     * What every experiment takes.
     *
     * @param dataset dataset name (synthetic by default)
     * @param dataDir its folder, or null
     * @param epochs epochs per run, or null for the experiment's default
     * @param seed seeds every run
     * @param syntheticTrain synthetic training images
     * @param syntheticTest synthetic test images
     * @param threads threads per run
     * @param backbone transfer: a finished or imported run to take the backbone from, in place of pretraining one; or null
     * @param classes transfer: the target classes (default 5–9 after pretraining on 0–4, every class with a backbone)
     */
    public record Options(String dataset, String dataDir, Integer epochs, long seed, int syntheticTrain, int syntheticTest,
                          int threads, String backbone, List<Integer> classes) {
        public Options {
            classes = classes == null ? null : List.copyOf(classes);
        }

        /** No backbone run and every class (transfer's defaults). */
        public Options(String dataset, String dataDir, Integer epochs, long seed, int syntheticTrain, int syntheticTest,
                       int threads) {
            this(dataset, dataDir, epochs, seed, syntheticTrain, syntheticTest, threads, null, null);
        }
    }

    /** One finished (or diverged) run of an experiment. */
    private record Run(String name, Path dir, TrainConfig config, JsonObject metrics, Evaluation test, String failure) {
        double[][] steps() {
            JsonArray s = metrics.has("steps") ? metrics.getAsJsonArray("steps") : new JsonArray();
            double[][] xy = new double[2][s.size()];
            for (int i = 0; i < s.size(); i++) {
                xy[0][i] = s.get(i).getAsJsonArray().get(0).getAsDouble();
                xy[1][i] = s.get(i).getAsJsonArray().get(1).getAsDouble();
            }
            return xy;
        }

        double[][] epochs(String key) {
            return new double[][] {Charts.column(metrics, "epoch"), Charts.column(metrics, key)};
        }

        /** A count the trainer recorded in metrics.json (train_images, parameters, trainable_parameters); 0 if it diverged first. */
        long count(String key) {
            return metrics.has(key) ? metrics.get(key).getAsLong() : 0;
        }

        String accuracy() {
            return test == null ? "—" : String.format(Locale.ROOT, "%.2f%%", 100 * test.accuracy());
        }

        String status() {
            return failure == null ? "finished" : failure;
        }
    }

    private final Options options;
    private final Path out;
    private final PrintStream console;

    public Experiments(Options options, Path out, PrintStream console) {
        this.options = options;
        this.out = out;
        this.console = console;
    }

    /**
     * Runs the named experiment into the output folder and returns its report file.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public Path run(String name) throws IOException {
        Files.createDirectories(out);
        return switch (name) {
            case "init-compare" -> initCompare();
            case "transfer" -> transfer();
            case "autoencoder" -> autoencoder();
            default -> throw new IllegalArgumentException("experiment must be one of " + NAMES + " but was '" + name + "'");
        };
    }

    private TrainConfig.Builder recipe(String model) {
        return TrainConfig.recipe(model, options.dataset()).toBuilder().dataDir(options.dataDir()).seed(options.seed())
                .synthetic(options.syntheticTrain(), options.syntheticTest());
    }

    private int epochs(int dflt) {
        return options.epochs() != null ? options.epochs() : dflt;
    }

    /** Trains one run into runs/NAME, its log into runs/NAME/train.log; a diverging run is recorded, not fatal. */
    private Run train(String name, TrainConfig config) throws IOException {
        Path dir = out.resolve("runs").resolve(name);
        Files.createDirectories(dir);
        Evaluation test = null;
        String failure = null;
        long t0 = System.nanoTime();
        try (var log = new PrintStream(Files.newOutputStream(dir.resolve("train.log")), true, StandardCharsets.UTF_8)) {
            test = new Trainer(config, dir, options.threads(), log).run(false);
        } catch (IllegalStateException e) {
            failure = "diverged: " + e.getMessage();
        }
        JsonObject metrics = Files.exists(dir.resolve(Trainer.METRICS)) ? JsonFiles.read(dir.resolve(Trainer.METRICS)) : new JsonObject();
        console.printf("  %-22s %s in %.1f s%n", name, test == null ? failure
                : Models.spec(config.model()).task() == Models.Task.CLASSIFY
                ? String.format(Locale.ROOT, "test accuracy %.2f%%", 100 * test.accuracy())
                : String.format(Locale.ROOT, "test MSE %.5f", test.loss()), (System.nanoTime() - t0) / 1e9);
        return new Run(name, dir, config, metrics, test, failure);
    }

    private String header(String title, String what) {
        return "# " + title + "\n\n" + what + "\n\nDataset: `" + options.dataset() + "`"
                + (options.dataDir() == null ? "" : " from `" + options.dataDir() + "`") + "; seed " + options.seed()
                + "; " + options.threads() + " threads. Every run is an ordinary `vcnn train` run directory under `runs/` "
                + "(config, metrics, weights, curves): `vcnn eval --run DIR` re-evaluates any of them.\n\n";
    }

    private Path write(String markdown) throws IOException {
        Path file = out.resolve(REPORT);
        byte[] bytes = markdown.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> AtomicFile.writeFully(ch, ByteBuffer.wrap(bytes)));
        return file;
    }

    private static String rel(Run r, String file) {
        return "runs/" + r.name() + "/" + file;
    }

    // ---- init-compare -----------------------------------------------------------------------------

    private Path initCompare() throws IOException {
        List<String> inits = List.of("zeros", "constant", "uniform", "normal", "xavier", "kaiming");
        int epochs = epochs(5);
        console.printf("init-compare: mlp with %s initialisation, SGD lr 0.01 momentum 0.9, %d epochs each%n", inits, epochs);
        List<Run> runs = new ArrayList<>();
        for (String init : inits) {
            // Plain SGD at a fixed rate: adaptive optimizers and schedules would hide what the initial scale does.
            runs.add(train("mlp-" + init, recipe("mlp").init(init).optimizer("sgd", 0.01f).momentum(0.9f).schedule("none", 0)
                    .epochs(epochs).build()));
        }
        List<Charts.Line> lines = runs.stream().map(r -> {
            double[][] s = r.steps();
            return new Charts.Line(r.name().substring(4), s[0], s[1]);
        }).toList();
        double chance = Math.log(runs.getFirst().config().classSubset() == null ? 10 : runs.getFirst().config().classSubset().size());
        Images.writePng(Charts.besideEachOther(List.of(
                Charts.lines("mlp on " + options.dataset() + ": training loss by initialisation", "images seen",
                        "training loss (log scale)", lines, true),
                Charts.lines("the same, loss up to 1.5 × chance level", "images seen", "training loss", lines, false,
                        org.knowm.xchart.style.Styler.LegendPosition.InsideSW, 1.5 * chance))), out.resolve("loss.png"));
        var md = new StringBuilder(header("Weight initialisation compared",
                "The same perceptron (784-512-256-classes, ReLU, dropout 0.2) trained from six initialisations of its "
                        + "linear layers (biases zero): `zeros`, `constant` (0.1), `uniform` U(0, 1) and `normal` N(0, 1) "
                        + "(PyTorch's `uniform_`/`normal_` defaults, which ignore the fan-in), `xavier` (Glorot uniform) and "
                        + "`kaiming` (He normal, fan-in, ReLU gain). Same data order, optimizer (SGD lr 0.01, momentum 0.9) "
                        + "and " + epochs + " epochs for all."));
        md.append("![training loss](loss.png)\n\n");
        md.append("| initialisation | run | first-epoch loss | final training loss | test accuracy | status |\n|---|---|---|---|---|---|\n");
        for (Run r : runs) {
            double[][] loss = r.epochs("train_loss");
            md.append(String.format(Locale.ROOT, "| %s | `%s` | %s | %s | %s | %s |%n", r.name().substring(4), rel(r, ""),
                    loss[1].length > 0 ? String.format(Locale.ROOT, "%.4f", loss[1][0]) : "—",
                    loss[1].length > 0 ? String.format(Locale.ROOT, "%.4f", loss[1][loss[1].length - 1]) : "—", r.accuracy(),
                    r.status()));
        }
        Run best = runs.stream().filter(r -> r.test() != null).max(java.util.Comparator.comparingDouble(r -> r.test().accuracy()))
                .orElse(runs.getFirst());
        md.append(String.format(Locale.ROOT, "%nBest test accuracy: `%s` (%s); chance level is %.1f%% and a loss of %.4f (ln of "
                + "the class count).%n%n", best.name(), best.accuracy(), 100 / Math.exp(chance), chance));
        md.append("What to look for: zeros and constant initialisations give every hidden unit of a layer the same weights, "
                + "so the units get the same gradient and stay identical (zeros also block every gradient but the last "
                + "layer's bias). Scales that ignore the fan-in make the first activations grow with the layer width: "
                + "the first losses are huge and the large first steps can leave ReLUs dead. Xavier and Kaiming keep each "
                + "layer's activations near unit variance.\n");
        return write(md.toString());
    }

    // ---- transfer -----------------------------------------------------------------------------------

    /** The backbone's last weight layers the fine-tuning run of {@code transfer} trains with its head. */
    static final int FINE_TUNE_LAYERS = 2;

    private Path transfer() throws IOException {
        int epochs = epochs(3);
        Run pre = null;
        String backbone = options.backbone();
        TrainConfig backboneConfig;
        List<Integer> classes;
        String scratchModel;
        if (backbone == null) {
            List<Integer> first = IntStream.range(0, 5).boxed().toList();
            classes = options.classes() != null ? options.classes() : IntStream.range(5, 10).boxed().toList();
            scratchModel = "lenet5";
            console.printf("transfer: lenet5 pretrained on classes 0-4; on %s a new head, the head and the last %d layers, "
                    + "and a model from scratch, %d epochs each%n", classes, FINE_TUNE_LAYERS, epochs);
            // The backbone gets twice the target budget, with the same optimizer as the target runs.
            pre = train("pretrain-0-4", recipe("lenet5").classSubset(first).optimizer("adam", 1e-3f).momentum(0f).weightDecay(0f)
                    .schedule("none", 0).augment(false).epochs(2 * epochs).build());
            if (pre.failure() != null) {
                throw new IllegalStateException("transfer: the pretraining run must finish but " + pre.failure());
            }
            backbone = pre.dir().toString();
            backboneConfig = pre.config();
        } else {
            backboneConfig = dev.vcnn.models.train.TrainedRun.config(Path.of(backbone));
            classes = options.classes();
            scratchModel = !backboneConfig.model().equals(Models.IMPORTED) ? backboneConfig.model()
                    : backboneConfig.channels() == 1 ? "lenet5" : "cifar-cnn";
            console.printf("transfer: the model of %s; on %s a new head, the head and the last %d layers, and %s from "
                    + "scratch, %d epochs each%n", backbone, classes == null ? "every class" : classes, FINE_TUNE_LAYERS,
                    scratchModel, epochs);
        }
        // Every target run sees the same images in the same order with the same optimizer.
        TrainConfig.Builder target = recipe(scratchModel).classSubset(classes).optimizer("adam", 1e-3f).momentum(0f)
                .weightDecay(0f).schedule("none", 0).augment(false).epochs(epochs);
        TrainConfig head = target.build().withBackbone(backbone, backboneConfig.model(), backboneConfig.channels(),
                backboneConfig.size());
        String suffix = classes == null ? "" : "-" + classes.getFirst() + "-" + classes.getLast();
        Run frozen = train("frozen-backbone" + suffix, head);
        Run tuned = train("fine-tune-last-" + FINE_TUNE_LAYERS + suffix, head.toBuilder().unfreeze(FINE_TUNE_LAYERS).build());
        Run scratch = train("scratch" + suffix, target.build());
        List<Run> runs = List.of(frozen, tuned, scratch);
        String on = classes == null ? "every class" : "classes " + classes;
        Images.writePng(Charts.lines(on + ": validation accuracy", "images seen", "accuracy (%)", runs.stream().map(r -> {
            double[][] a = r.epochs("val_accuracy");
            int n = a[0].length;
            double[] seen = new double[n];
            double[] pct = new double[n];
            for (int i = 0; i < n; i++) {
                seen[i] = a[0][i] * r.count("train_images");
                pct[i] = 100 * a[1][i];
            }
            return new Charts.Line(r.name(), seen, pct);
        }).toList(), false, org.knowm.xchart.style.Styler.LegendPosition.InsideSE, null), out.resolve("accuracy.png"));
        Images.writePng(Charts.lines(on + ": training loss", "images seen", "training loss (log scale)",
                runs.stream().map(r -> new Charts.Line(r.name(), r.steps()[0], r.steps()[1])).toList(), true),
                out.resolve("loss.png"));
        String source = pre != null
                ? "LeNet-5 is trained on classes " + pre.config().classSubset() + " (`pretrain-0-4`, Adam 1e-3, " + 2 * epochs
                        + " epochs) and serves as the backbone."
                : "The backbone is the " + backboneConfig.model() + " model of the run `" + backbone + "`.";
        var md = new StringBuilder(header("Transfer learning", source + " Its layers up to the last linear one are "
                + "frozen and a new linear head is trained on " + on + " (`" + frozen.name() + "`); the same, with the "
                + "backbone's last " + FINE_TUNE_LAYERS + " weight layers trained too (`" + tuned.name() + "`); against "
                + scratchModel + " trained from scratch on " + on + " (`" + scratch.name() + "`) with the same "
                + "optimizer (Adam 1e-3), data order and budget of images seen."));
        md.append("![validation accuracy](accuracy.png)\n\n![training loss](loss.png)\n\n");
        md.append("| run | classes | trainable parameters | images seen | test accuracy | seconds |\n|---|---|---|---|---|---|\n");
        List<Run> table = new ArrayList<>();
        if (pre != null) {
            table.add(pre);
        }
        table.addAll(runs);
        for (Run r : table) {
            md.append(String.format(Locale.ROOT, "| `%s` | %s | %,d | %,d | %s | %.1f |%n", rel(r, ""),
                    r.config().classSubset() == null ? "all" : r.config().classSubset(), r.count("trainable_parameters"),
                    r.count("train_images") * r.config().epochs(), r.accuracy(),
                    r.metrics().has("wall_seconds") ? r.metrics().get("wall_seconds").getAsDouble() : Double.NaN));
        }
        md.append(String.format(Locale.ROOT, "%nValidation accuracy after the first epoch and after the last:%n%n"));
        for (Run r : runs) {
            double[][] a = r.epochs("val_accuracy");
            if (a[1].length > 0) {
                md.append(String.format(Locale.ROOT, "- `%s`: %.2f%% and %.2f%% (%,d trainable parameters)%n", r.name(),
                        100 * a[1][0], 100 * a[1][a[1].length - 1], r.count("trainable_parameters")));
            }
        }
        md.append("\nWhat to look for: a frozen backbone is only as good as the features it learned on the first task "
                + "are for the second, and its head cannot change them; in exchange each step trains a small fraction of the "
                + "parameters and is cheaper (compare the seconds). Fine-tuning the last layers lets the top features adapt "
                + "at a little more cost. Training from scratch adapts every layer to the new classes; with enough images "
                + "it passes the frozen backbone, and the gap shrinks the fewer images the target task has.\n");
        return write(md.toString());
    }

    // ---- autoencoder --------------------------------------------------------------------------------

    private Path autoencoder() throws IOException {
        int epochs = epochs(5);
        console.printf("autoencoder: linear-ae and conv-ae, Adam 1e-3, %d epochs each%n", epochs);
        List<Run> runs = new ArrayList<>();
        for (String model : List.of("linear-ae", "conv-ae")) {
            runs.add(train(model, recipe(model).epochs(epochs).build()));
        }
        Images.writePng(Charts.lines("reconstruction loss (MSE) by epoch", "epoch", "validation MSE", runs.stream().map(r -> {
            double[][] v = r.epochs("val_loss");
            return new Charts.Line(r.name(), v[0], v[1]);
        }).toList(), false), out.resolve("loss.png"));
        var md = new StringBuilder(header("Autoencoders",
                "A linear autoencoder (784-32-784 with ReLU and a sigmoid output) and a convolutional one (16-8 channels at "
                        + "a quarter of the resolution, upsampled back) trained to reproduce their input, loss = mean squared "
                        + "error on [0, 1] pixels, Adam 1e-3, " + epochs + " epochs."));
        md.append("![validation loss](loss.png)\n\n");
        md.append("| model | run | parameters | code size | test MSE |\n|---|---|---|---|---|\n");
        for (Run r : runs) {
            md.append(String.format(Locale.ROOT, "| %s | `%s` | %,d | %s | %s |%n", r.name(), rel(r, ""), r.count("parameters"),
                    r.name().equals("linear-ae") ? "32" : "8×" + r.config().size() / 4 + "×" + r.config().size() / 4,
                    r.test() == null ? r.status() : String.format(Locale.ROOT, "%.5f", r.test().loss())));
        }
        md.append('\n');
        for (Run r : runs) {
            md.append("**").append(r.name()).append("**: originals above reconstructions\n\n![").append(r.name())
                    .append("](").append(rel(r, RunPictures.RECONSTRUCTIONS)).append(")\n\n");
        }
        return write(md.toString());
    }
}
