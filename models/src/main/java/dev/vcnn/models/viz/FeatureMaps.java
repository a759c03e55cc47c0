package dev.vcnn.models.viz;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Activation;
import dev.vcnn.engine.nn.AdaptiveAvgPool2d;
import dev.vcnn.engine.nn.AvgPool2d;
import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.nn.MaxPool2d;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.nn.Sequential;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.TransferModel;
import dev.vcnn.models.Vgg;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * What a CNN sees: the activations of its convolution, activation and pooling layers for one image,
 * and its first layer's filters, as labelled grids (one tile per channel, each tile on its own
 * min–max scale, as the usual tutorials show them).
 */
public final class FeatureMaps {
    /** Tiles are enlarged so their smaller side is at least this many pixels. */
    public static final int MIN_TILE = 56;

    private FeatureMaps() {}

    /**
     * One layer's output for one image.
     *
     * @param path the layer's state-dict path ("features.0")
     * @param layer its PyTorch-style description ("Conv2d(1, 6, kernel_size=(5, 5), …)")
     * @param activation [1, C, H, W]
     */
    public record Layer(String path, String layer, Tensor activation) {
        public int channels() {
            return activation.dim(1);
        }

        public int height() {
            return activation.dim(2);
        }

        public int width() {
            return activation.dim(3);
        }
    }

    /**
     * Runs {@code image} ([1, C, H, W], normalised as in training) through the model in eval mode without
     * recording, keeping every convolution, activation and pooling output that is still a feature map.
     * Walks {@link Sequential}s (nested too), a {@link Vgg}'s features and average pool, and a
     * {@link TransferModel}'s backbone.
     */
    public static List<Layer> trace(Module model, Tensor image) {
        if (image.shape().rank() != 4 || image.dim(0) != 1) {
            throw new IllegalArgumentException("feature maps: image must be [1, C, H, W] but was " + image.shape());
        }
        model.eval();
        List<Layer> out = new ArrayList<>();
        Autograd.noGrad(() -> walk(model, "", Variable.constant(image), out));
        if (out.isEmpty()) {
            throw new IllegalArgumentException("feature maps: the model must have a convolution, activation or pooling layer "
                    + "with a 4-d output but " + model.typeName() + " has none");
        }
        return out;
    }

    private static Variable walk(Module m, String path, Variable x, List<Layer> out) {
        if (m instanceof Sequential s) {
            for (int i = 0; i < s.size(); i++) {
                x = walk(s.get(i), join(path, String.valueOf(i)), x, out);
            }
            return x;
        }
        if (m instanceof Vgg v) {
            x = walk(v.features(), join(path, "features"), x, out);
            return walk(v.children().get("avgpool"), join(path, "avgpool"), x, out); // the classifier has no maps
        }
        if (m instanceof TransferModel t) {
            return walk(t.backbone(), join(path, "backbone"), x, out);
        }
        Variable y = m.forward(x);
        boolean kind = m instanceof Conv2d || m instanceof Activation || m instanceof MaxPool2d || m instanceof AvgPool2d
                || m instanceof AdaptiveAvgPool2d;
        if (kind && y.shape().rank() == 4) {
            out.add(new Layer(path, m.toString(), y.value()));
        }
        return y;
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The grid a layer renders on: one tile per channel, enlarged to at least {@link #MIN_TILE} pixels. */
    public static Grid grid(Layer l) {
        int f = Images.factorFor(l.height(), l.width(), MIN_TILE);
        return Grid.of(l.channels(), l.width() * f, l.height() * f, 1, 2);
    }

    /** A layer as a grid of its channels, titled with its path, configuration and shape. */
    public static BufferedImage render(Layer l) {
        Grid grid = grid(l);
        int f = grid.tileW() / l.width();
        int plane = l.height() * l.width();
        List<Grid.Tile> tiles = new ArrayList<>();
        for (int c = 0; c < l.channels(); c++) {
            int off = l.activation().offset() + c * plane;
            float[] r = Images.range(l.activation().data(), off, plane);
            tiles.add(new Grid.Tile(Images.scale(Images.gray(l.activation().data(), off, l.height(), l.width(), r[0], r[1]), f),
                    String.valueOf(c), null));
        }
        String title = String.format("%s → %d×%d×%d (each channel on its own min–max scale)%n%s", l.path(), l.channels(),
                l.height(), l.width(), l.layer());
        return grid.render(title, tiles);
    }

    /** The first convolution of a model in state-dict order, or an error if it has none. */
    public static java.util.Map.Entry<String, Conv2d> firstConv(Module model) {
        return model.namedModules().entrySet().stream().filter(e -> e.getValue() instanceof Conv2d)
                .map(e -> java.util.Map.entry(e.getKey(), (Conv2d) e.getValue())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("filters: the model must have a convolution layer but "
                        + model.typeName() + " has none (a perceptron or linear autoencoder has no filters to show)"));
    }

    /**
     * A convolution's filters as a grid: with 3 input channels one colour tile per filter (its three
     * planes on one shared scale), otherwise one grey tile per (filter, input channel).
     */
    public static BufferedImage renderFilters(String path, Conv2d conv) {
        Tensor w = conv.weight().value();
        int out = w.dim(0);
        int in = w.dim(1);
        int kh = w.dim(2);
        int kw = w.dim(3);
        int plane = kh * kw;
        int f = Images.factorFor(kh, kw, 64);
        boolean colour = in == 3;
        int count = colour ? out : out * in;
        Grid grid = Grid.of(count, kw * f, kh * f, 0, 2);
        List<Grid.Tile> tiles = new ArrayList<>();
        for (int o = 0; o < out; o++) {
            int base = w.offset() + o * in * plane;
            if (colour) {
                float[] r = Images.range(w.data(), base, 3 * plane);
                tiles.add(new Grid.Tile(Images.scale(Images.rgb(w.data(), base, kh, kw, r[0], r[1]), f), null, null));
            } else {
                for (int c = 0; c < in; c++) {
                    float[] r = Images.range(w.data(), base + c * plane, plane);
                    tiles.add(new Grid.Tile(Images.scale(Images.gray(w.data(), base + c * plane, kh, kw, r[0], r[1]), f), null, null));
                }
            }
        }
        return grid.render(String.format("%s: %d filters of %d×%d×%d%s, each on its own min–max scale%n%s", path, out, in, kh,
                kw, colour ? " (RGB)" : "", conv), tiles);
    }
}
