package dev.vcnn.cli;

import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.data.Dataset;
import dev.vcnn.models.data.Datasets;
import dev.vcnn.models.data.ImageFolder;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.TrainedRun;
import dev.vcnn.models.train.Trainer;
import dev.vcnn.models.viz.FeatureMaps;
import dev.vcnn.models.viz.Filter2d;
import dev.vcnn.models.viz.Grid;
import dev.vcnn.models.viz.Images;
import dev.vcnn.models.viz.RunPictures;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code vcnn visualize}: pictures of kernels, feature maps, filters and predictions, as PNG files. */
@Command(name = "visualize", mixinStandardHelpOptions = true, description = "Writes PNG pictures of what a CNN computes.",
        subcommands = {VisualizeCommand.Kernels.class, VisualizeCommand.FeatureMapsCommand.class,
                VisualizeCommand.Filters.class, VisualizeCommand.Predictions.class})
final class VisualizeCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private static void write(BufferedImage img, Path file) throws java.io.IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Images.writePng(img, file);
        System.out.printf("wrote %s (%d×%d)%n", file, img.getWidth(), img.getHeight());
    }

    @Command(name = "kernels", mixinStandardHelpOptions = true,
            description = "Filters an image with fixed kernels through conv2d (like OpenCV's filter2D): derivative kernels "
                    + "(weights summing to 0) on the grey image, shown as |response| clamped to 0..255 (OpenCV's convertScaleAbs); the others on each "
                    + "colour channel, clamped to 0..255. With both sobel-x and sobel-y (or the Scharr pair) also the gradient "
                    + "magnitude.")
    static final class Kernels implements Callable<Integer> {
        @Option(names = "--image", required = true, description = "a PNG, JPEG, BMP or GIF file")
        Path image;

        @Option(names = "--kernel", split = ",", description = "sobel-x, sobel-y, scharr-x, scharr-y, laplacian, sharpen, blur, "
                + "or a text file of k×k numbers (default: all named kernels)")
        List<String> kernels;

        @Option(names = "--out", description = "output folder (default: pictures/kernels-IMAGE)")
        Path out;

        @Override
        public Integer call() throws Exception {
            BufferedImage src = ImageFolder.load(image);
            int h = src.getHeight();
            int w = src.getWidth();
            Tensor rgb = pixels(src, 3);
            Tensor grey = pixels(src, 1);
            Path dir = out != null ? out : Path.of("pictures", "kernels-" + stem(image));
            List<String> names = kernels == null ? Filter2d.NAMES : kernels;
            List<Grid.Tile> tiles = new ArrayList<>();
            tiles.add(new Grid.Tile(Images.resize(src, w, h), "input", null));
            Map<String, Tensor> responses = new java.util.LinkedHashMap<>();
            for (String name : names) {
                Filter2d.Kernel k = Filter2d.NAMES.contains(name) ? Filter2d.named(name) : Filter2d.read(Path.of(name));
                BufferedImage pic;
                if (k.derivative()) {
                    Tensor r = Filter2d.apply(grey, k);
                    responses.put(k.name(), r);
                    pic = absolute(r, h, w);
                } else {
                    Tensor r = Filter2d.apply(rgb, k);
                    pic = Images.rgb(r.data(), r.offset(), h, w, 0f, 255f);
                }
                write(pic, dir.resolve(k.name() + ".png"));
                tiles.add(new Grid.Tile(pic, k.name(), null));
            }
            for (String pair : List.of("sobel", "scharr")) {
                Tensor gx = responses.get(pair + "-x");
                Tensor gy = responses.get(pair + "-y");
                if (gx != null && gy != null) {
                    BufferedImage pic = absolute(Filter2d.magnitude(gx, gy), h, w);
                    write(pic, dir.resolve(pair + "-magnitude.png"));
                    tiles.add(new Grid.Tile(pic, pair + " magnitude", null));
                }
            }
            // The overview: every result beside the input, scaled down to a common tile width when large.
            int tw = Math.min(w, 320);
            int th = (int) Math.round((double) h * tw / w);
            List<Grid.Tile> small = tiles.stream().map(t -> new Grid.Tile(Images.resize(t.image(), tw, th), t.caption(), null)).toList();
            write(Grid.of(small.size(), tw, th, 1, 1).render(image.getFileName() + ": kernels", small),
                    dir.resolve("overview.png"));
            return 0;
        }

        private static Tensor pixels(BufferedImage img, int channels) {
            int h = img.getHeight();
            int w = img.getWidth();
            byte[] px = new byte[channels * h * w];
            ImageFolder.toPixels(img, channels, h, w, px, 0);
            float[] v = new float[px.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = px[i] & 0xFF;
            }
            return Tensor.of(v, 1, channels, h, w);
        }

        /** |v| clamped to 0..255, as OpenCV's {@code convertScaleAbs} shows a filter2D response. */
        private static BufferedImage absolute(Tensor r, int h, int w) {
            float[] a = r.toArray();
            for (int i = 0; i < a.length; i++) {
                a[i] = Math.abs(a[i]);
            }
            return Images.gray(a, 0, h, w, 0f, 255f);
        }

    }

    @Command(name = "feature-maps", mixinStandardHelpOptions = true,
            description = "Writes the activations of every convolution, activation and pooling layer for one image, "
                    + "one labelled grid of channels per layer.")
    static final class FeatureMapsCommand implements Callable<Integer> {
        @Mixin
        RunOption run;

        @Option(names = "--image", required = true, description = "a PNG, JPEG, BMP or GIF file")
        Path image;

        @Option(names = "--out", description = "output folder (default: RUN/feature-maps-IMAGE)")
        Path out;

        @Override
        public Integer call() throws Exception {
            TrainedRun r = run.open();
            Path dir = out != null ? out : run.dir.resolve("feature-maps-" + stem(image));
            List<FeatureMaps.Layer> layers = FeatureMaps.trace(r.model(), r.input(image));
            for (int i = 0; i < layers.size(); i++) {
                FeatureMaps.Layer l = layers.get(i);
                write(FeatureMaps.render(l), dir.resolve(String.format("%02d-%s-%s.png", i + 1, l.path().replace('.', '_'),
                        l.layer().replaceAll("\\(.*", "").toLowerCase(java.util.Locale.ROOT))));
            }
            return 0;
        }
    }

    @Command(name = "filters", mixinStandardHelpOptions = true,
            description = "Writes the first convolution layer's learned filters as a grid (RGB filters in colour).")
    static final class Filters implements Callable<Integer> {
        @Mixin
        RunOption run;

        @Option(names = "--out", description = "output file (default: RUN/filters.png)")
        Path out;

        @Override
        public Integer call() throws Exception {
            TrainedRun r = run.open();
            Map.Entry<String, Conv2d> first = FeatureMaps.firstConv(r.model());
            write(FeatureMaps.renderFilters(first.getKey(), first.getValue()), out != null ? out : run.dir.resolve("filters.png"));
            return 0;
        }
    }

    @Command(name = "predictions", mixinStandardHelpOptions = true,
            description = "Writes a grid of test images with the predicted label under each; mistakes framed in red with "
                    + "the true label.")
    static final class Predictions implements Callable<Integer> {
        @Mixin
        RunOption run;

        @Option(names = "--dataset", description = "dataset whose test images to show (default: the run's)")
        String dataset;

        @Option(names = "--data-dir", description = "folder holding that dataset's files")
        Path dataDir;

        @Option(names = "--count", defaultValue = "36", description = "images to show (default: ${DEFAULT-VALUE})")
        int count;

        @Option(names = "--out", description = "output file (default: RUN/predictions.png)")
        Path out;

        @Override
        public Integer call() throws Exception {
            TrainedRun r = run.open().requireClassifier("predictions");
            if (count < 1) {
                throw new IllegalArgumentException("predictions: --count must be >= 1 but was " + count);
            }
            TrainConfig c = r.config();
            if (dataset != null) {
                if (!Datasets.NAMES.contains(dataset)) {
                    throw new IllegalArgumentException("predictions: --dataset must be one of " + Datasets.NAMES + " but was '"
                            + dataset + "'");
                }
                c = c.toBuilder().dataset(dataset).dataDir(dataDir == null ? null : dataDir.toString()).build();
            } else if (dataDir != null) {
                c = c.withDataDir(dataDir.toString());
            }
            Dataset test = Trainer.data(c).test();
            if (test.classes().size() != r.classes().size()) {
                throw new IllegalArgumentException("predictions: dataset " + c.dataset() + " must have the run's "
                        + r.classes().size() + " classes but has " + test.classes().size());
            }
            write(RunPictures.predictions(r.model(), test, count, r.mean(), r.std()), out != null ? out : run.dir.resolve("predictions.png"));
            return 0;
        }
    }
}
