package dev.vcnn.models;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Linear;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.nn.Sequential;
import dev.vcnn.engine.tensor.Shape;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Transfer learning: a trained model's feature part ({@code backbone}, frozen and always in eval mode,
 * so its batch-norm statistics stay those it was trained with) under a new linear {@code head} for
 * another number of classes. Only the head's parameters require gradients, so optimizers train only it, unless
 * fine-tuning leaves the backbone's last weight layers trainable too.
 * The feature part of a {@link Vgg} is {@code features} + {@code avgpool}; of a {@link Sequential}
 * everything before its last linear layer. The backbone stays in eval mode all the same, so batch norm normalises with its running statistics and only its scale
 * and shift learn (as a frozen-statistics batch norm does in detection fine-tuning).
 */
public final class TransferModel extends Module {
    private final Module backbone;
    private final Linear head;

    public TransferModel(Module trained, int classes, RandomGenerator rng) {
        this(trained, classes, 0, rng);
    }

    /**
     * A new head on a trained model's features, with the backbone's last {@code unfreeze} weight layers (see
     * {@link Module#parameterGroups()}) left trainable, as fine-tuning the top of a network does.
     *
     * @throws IllegalArgumentException when the backbone has fewer weight layers than {@code unfreeze}
     */
    public TransferModel(Module trained, int classes, int unfreeze, RandomGenerator rng) {
        Module features;
        int width;
        if (trained instanceof Vgg v) {
            features = new Sequential(v.features(), v.children().get("avgpool"));
            width = ((Linear) v.classifier().get(0)).weight().shape().dim(1);
        } else if (trained instanceof Sequential s) {
            int last = -1;
            for (int i = 0; i < s.size(); i++) {
                if (s.get(i) instanceof Linear) {
                    last = i;
                }
            }
            if (last < 0) {
                throw new IllegalArgumentException("transfer: the backbone model must end in a linear layer but has none ("
                        + s.typeName() + ")");
            }
            features = new Sequential(List.copyOf(s.layers().subList(0, last)));
            width = ((Linear) s.get(last)).weight().shape().dim(1);
        } else if (trained instanceof Backbone b) {
            features = b.featureExtractor();
            width = b.featureWidth();
        } else {
            throw new IllegalArgumentException("transfer: the backbone must be a Sequential, VGG or imported model but was "
                    + trained.typeName());
        }
        this.backbone = registerModule("backbone", features);
        this.head = registerModule("head", new Linear(width, classes, rng));
        backbone.freeze();
        backbone.eval();
        List<List<Variable>> layers = backbone.parameterGroups();
        if (unfreeze < 0 || unfreeze > layers.size()) {
            throw new IllegalArgumentException("transfer: unfreeze must be between 0 and the backbone's " + layers.size()
                    + " weight layers but was " + unfreeze + " (backbone " + trained.typeName() + ")");
        }
        layers.subList(layers.size() - unfreeze, layers.size()).forEach(g -> g.forEach(p -> p.requiresGrad(true)));
    }

    public Module backbone() {
        return backbone;
    }

    public Linear head() {
        return head;
    }

    @Override
    public Module train(boolean on) {
        super.train(on);
        backbone.eval(); // frozen: batch norm keeps its running statistics, dropout stays off
        return this;
    }

    @Override
    public Variable forward(Variable x) {
        return head.forward(Functional.flatten(backbone.forward(x)));
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape f = backbone.outputShape(input);
        return head.outputShape(Shape.of(f.dim(0), f.numel() / Math.max(1, f.dim(0))));
    }

    @Override
    public long forwardMacs(Shape input) {
        Shape f = backbone.outputShape(input);
        return backbone.forwardMacs(input) + head.forwardMacs(Shape.of(f.dim(0), f.numel() / Math.max(1, f.dim(0))));
    }

    @Override
    public String typeName() {
        return "Transfer";
    }
}
