package dev.vcnn.models.train;

import com.google.gson.JsonObject;
import dev.vcnn.models.Models;

/**
 * Everything that defines a training run; stored as {@code config.json} in the run directory so that
 * {@code eval}, {@code predict} and {@code --resume} rebuild the same model and data.
 *
 * @param model model name (see {@link Models#SPECS})
 * @param dataset dataset name
 * @param dataDir the dataset's folder, or null
 * @param channels input channels
 * @param size input height = width
 * @param epochs epochs to train
 * @param batchSize images per step
 * @param optimizer sgd, adam or adamw
 * @param lr base learning rate
 * @param momentum SGD momentum (Nesterov when > 0)
 * @param weightDecay L2 (sgd, adam) or decoupled (adamw) weight decay
 * @param schedule none, step or cosine
 * @param warmupEpochs linear warm-up epochs before the schedule
 * @param augment random flip/crop (3-channel) or small shifts and rotations (1-channel)
 * @param seed seeds weights, data order, augmentation and dropout
 * @param valFraction share of the training set held out for validation
 * @param syntheticTrain synthetic training images
 * @param syntheticTest synthetic test images
 * @param backbone a finished run whose model, frozen, feeds a new linear head (transfer learning); or null
 */
public record TrainConfig(String model, String dataset, String dataDir, int channels, int size, int epochs, int batchSize,
                          String optimizer, float lr, float momentum, float weightDecay, String schedule, int warmupEpochs,
                          boolean augment, long seed, double valFraction, int syntheticTrain, int syntheticTest,
                          String backbone) {

    /** The default recipe of a model on a dataset: what {@code vcnn train --model M --dataset D} uses. */
    public static TrainConfig recipe(String model, String dataset) {
        Models.spec(model);
        boolean grey = dataset.equals("mnist") || dataset.equals("fashion-mnist");
        boolean small = model.equals("mlp") || model.equals("lenet5") || model.equals("linear-ae") || model.equals("conv-ae");
        int channels = grey || (small && !dataset.equals("cifar10")) ? 1 : 3;
        int size = channels == 1 ? 28 : 32;
        boolean synthetic = dataset.equals("synthetic");
        return switch (model) {
            case "mlp" -> new TrainConfig(model, dataset, null, channels, size, synthetic ? 8 : 20, 128, "adam", 1e-3f, 0f, 0f,
                    "cosine", 0, false, 1, 0.1, 12_000, 2_000, null);
            case "lenet5" -> new TrainConfig(model, dataset, null, channels, size, synthetic ? 15 : 20, 64, "sgd", 0.02f, 0.9f, 5e-4f,
                    "cosine", 1, !synthetic, 1, 0.1, 12_000, 2_000, null);
            case "cifar-cnn" -> new TrainConfig(model, dataset, null, channels, size, synthetic ? 8 : 40, 64, "sgd", 0.05f, 0.9f,
                    5e-4f, "cosine", 1, !synthetic, 1, 0.1, 12_000, 2_000, null);
            case "vgg11", "vgg11-bn", "vgg16", "vgg16-bn" -> new TrainConfig(model, dataset, null, channels, size,
                    synthetic ? 5 : 60, 128, "sgd", model.endsWith("-bn") ? 0.05f : 0.01f, 0.9f, 5e-4f, "cosine", 2, !synthetic,
                    1, 0.1, 12_000, 2_000, null);
            default -> new TrainConfig(model, dataset, null, channels, size, synthetic ? 5 : 15, 128, "adam", 1e-3f, 0f, 0f,
                    "none", 0, false, 1, 0.1, 12_000, 2_000, null);
        };
    }

    public TrainConfig withEpochs(int v) {
        return new TrainConfig(model, dataset, dataDir, channels, size, v, batchSize, optimizer, lr, momentum, weightDecay,
                schedule, warmupEpochs, augment, seed, valFraction, syntheticTrain, syntheticTest, backbone);
    }

    public TrainConfig withBatchSize(int v) {
        return new TrainConfig(model, dataset, dataDir, channels, size, epochs, v, optimizer, lr, momentum, weightDecay,
                schedule, warmupEpochs, augment, seed, valFraction, syntheticTrain, syntheticTest, backbone);
    }

    public TrainConfig withOptimizer(String name, float learningRate) {
        return new TrainConfig(model, dataset, dataDir, channels, size, epochs, batchSize, name, learningRate, momentum,
                weightDecay, schedule, warmupEpochs, augment, seed, valFraction, syntheticTrain, syntheticTest, backbone);
    }

    public TrainConfig withAugment(boolean v) {
        return new TrainConfig(model, dataset, dataDir, channels, size, epochs, batchSize, optimizer, lr, momentum, weightDecay,
                schedule, warmupEpochs, v, seed, valFraction, syntheticTrain, syntheticTest, backbone);
    }

    public TrainConfig withSeed(long v) {
        return new TrainConfig(model, dataset, dataDir, channels, size, epochs, batchSize, optimizer, lr, momentum, weightDecay,
                schedule, warmupEpochs, augment, v, valFraction, syntheticTrain, syntheticTest, backbone);
    }

    public TrainConfig withDataDir(String v) {
        return new TrainConfig(model, dataset, v, channels, size, epochs, batchSize, optimizer, lr, momentum, weightDecay,
                schedule, warmupEpochs, augment, seed, valFraction, syntheticTrain, syntheticTest, backbone);
    }

    /** Transfer learning from a finished run: its model's input shape, frozen, under a new head. */
    public TrainConfig withBackbone(String runDir, String backboneModel, int backboneChannels, int backboneSize) {
        return new TrainConfig(backboneModel, dataset, dataDir, backboneChannels, backboneSize, epochs, batchSize, optimizer, lr,
                momentum, weightDecay, schedule, warmupEpochs, augment, seed, valFraction, syntheticTrain, syntheticTest, runDir);
    }

    public TrainConfig withSynthetic(int train, int test) {
        return new TrainConfig(model, dataset, dataDir, channels, size, epochs, batchSize, optimizer, lr, momentum, weightDecay,
                schedule, warmupEpochs, augment, seed, valFraction, train, test, backbone);
    }

    /** As JSON. */
    public JsonObject toJson() {
        var o = new JsonObject();
        o.addProperty("model", model);
        o.addProperty("dataset", dataset);
        if (dataDir != null) {
            o.addProperty("data_dir", dataDir);
        }
        o.addProperty("channels", channels);
        o.addProperty("size", size);
        o.addProperty("epochs", epochs);
        o.addProperty("batch_size", batchSize);
        o.addProperty("optimizer", optimizer);
        o.addProperty("lr", lr);
        o.addProperty("momentum", momentum);
        o.addProperty("weight_decay", weightDecay);
        o.addProperty("schedule", schedule);
        o.addProperty("warmup_epochs", warmupEpochs);
        o.addProperty("augment", augment);
        o.addProperty("seed", seed);
        o.addProperty("val_fraction", valFraction);
        o.addProperty("synthetic_train", syntheticTrain);
        o.addProperty("synthetic_test", syntheticTest);
        if (backbone != null) {
            o.addProperty("backbone", backbone);
        }
        return o;
    }

    /**
     * From {@link #toJson()}.
     *
     * @throws IllegalArgumentException naming a missing or mistyped field
     */
    public static TrainConfig fromJson(JsonObject o, String where) {
        try {
            return new TrainConfig(o.get("model").getAsString(), o.get("dataset").getAsString(),
                    o.has("data_dir") ? o.get("data_dir").getAsString() : null, o.get("channels").getAsInt(),
                    o.get("size").getAsInt(), o.get("epochs").getAsInt(), o.get("batch_size").getAsInt(),
                    o.get("optimizer").getAsString(), o.get("lr").getAsFloat(), o.get("momentum").getAsFloat(),
                    o.get("weight_decay").getAsFloat(), o.get("schedule").getAsString(), o.get("warmup_epochs").getAsInt(),
                    o.get("augment").getAsBoolean(), o.get("seed").getAsLong(), o.get("val_fraction").getAsDouble(),
                    o.get("synthetic_train").getAsInt(), o.get("synthetic_test").getAsInt(),
                    o.has("backbone") ? o.get("backbone").getAsString() : null);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("config: every field must be present and well typed but "
                    + (e.getMessage() == null ? "a field is missing" : e.getMessage()) + " (file=" + where + ")");
        }
    }
}
