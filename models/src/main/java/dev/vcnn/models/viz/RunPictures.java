package dev.vcnn.models.viz;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.data.DataLoader;
import dev.vcnn.models.data.Dataset;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/** Pictures of a model on a dataset: predictions with their labels, and autoencoder reconstructions. */
public final class RunPictures {
    public static final String CURVES = "curves.png";
    public static final String CONFUSION = "confusion.png";
    public static final String RECONSTRUCTIONS = "reconstructions.png";
    public static final String PREDICTIONS = "predictions.png";

    private static final Color RIGHT = new Color(90, 200, 90);
    private static final Color WRONG = new Color(240, 60, 60);

    private RunPictures() {}

    /** The first {@code count} images of a dataset, normalised as the loader does for training. */
    public static Tensor batch(Dataset set, int count, float[] mean, float[] std) {
        int n = Math.min(count, set.size());
        if (n == 0) {
            throw new IllegalArgumentException("pictures: dataset " + set.name() + " must have images but is empty");
        }
        int[] first = new int[n];
        for (int i = 0; i < n; i++) {
            first[i] = i;
        }
        return DataLoader.all(set.subset(set.name(), first), mean, std);
    }

    /**
     * A grid of the first {@code count} images with the predicted class under each; a mistake is framed
     * and captioned in red with the true class after the prediction.
     */
    public static BufferedImage predictions(Module model, Dataset set, int count, float[] mean, float[] std) {
        Tensor x = batch(set, count, mean, std);
        int n = x.dim(0);
        model.eval();
        int[] pred = Autograd.noGrad(() -> Functional.argmax(model.forward(Variable.constant(x)).value()));
        int f = Images.factorFor(set.height(), set.width(), 72);
        Grid grid = Grid.of(n, set.width() * f, set.height() * f, 2, 1);
        List<Grid.Tile> tiles = new ArrayList<>();
        int wrong = 0;
        for (int i = 0; i < n; i++) {
            BufferedImage img = Images.scale(Images.fromBytes(set.pixels(), i * set.imageSize(), set.channels(), set.height(),
                    set.width()), f);
            String p = set.classes().get(pred[i]);
            boolean ok = pred[i] == set.labels()[i];
            wrong += ok ? 0 : 1;
            tiles.add(new Grid.Tile(img, ok ? p : p + "\ntrue: " + set.classes().get(set.labels()[i]), ok ? null : WRONG));
        }
        return grid.render(String.format("%s: %d of %d right, mistakes framed in red", set.name(), n - wrong, n), tiles);
    }

    /** Originals (top row) above the model's reconstructions (bottom row) for the first {@code count} images. */
    public static BufferedImage reconstructions(Module model, Dataset set, int count, float[] mean, float[] std) {
        Tensor x = batch(set, count, mean, std);
        int n = x.dim(0);
        model.eval();
        Tensor y = Autograd.noGrad(() -> model.forward(Variable.constant(x))).value();
        int c = set.channels();
        int h = set.height();
        int w = set.width();
        if (!y.shape().equals(x.shape())) {
            throw new IllegalArgumentException("reconstructions: the model must output its input's shape " + x.shape()
                    + " but gave " + y.shape());
        }
        int f = Images.factorFor(h, w, 56);
        var grid = new Grid(2 * n, n, w * f, h * f, Grid.GAP, 0, Grid.TITLE + 6);
        List<Grid.Tile> tiles = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tiles.add(new Grid.Tile(Images.scale(Images.fromBytes(set.pixels(), i * set.imageSize(), c, h, w), f), null, null));
        }
        for (int i = 0; i < n; i++) {
            int off = y.offset() + i * c * h * w;
            BufferedImage r = c == 3 ? Images.rgb(y.data(), off, h, w, 0f, 1f) : Images.gray(y.data(), off, h, w, 0f, 1f);
            tiles.add(new Grid.Tile(Images.scale(r, f), null, null));
        }
        return grid.render(set.name() + ": originals (top), reconstructions (bottom)", tiles);
    }
}
