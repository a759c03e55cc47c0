package dev.vcnn.models.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vcnn.engine.io.Checkpoint;
import dev.vcnn.engine.nn.Dropout;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where a run stands — completed epochs, the batches and steps done, the running sums of the epoch in progress —
 * and its checkpoint: this, the weights, the optimizer's state, every dropout layer's random position, the
 * metrics so far and the settings, which a resume must repeat. A checkpoint holds all of it, so a resumed run
 * repeats nothing and skips nothing.
 */
public final class RunState {
    /** Keys a checkpoint's metadata must hold, besides one {@code dropout.<path>} per dropout layer. */
    static final List<String> CHECKPOINT_KEYS = List.of("config", "epoch", "batch", "step",
            "epoch_loss_sum", "epoch_correct", "epoch_seen", "window_loss", "window_batches", "epoch_seconds",
            "metrics_epochs", "metrics_steps");

    public int epoch;
    public int batch;
    public long step;
    public double lossSum;
    public long right;
    public long seen;
    public double windowLoss;
    public int windowBatches;
    public double seconds;

    /** Moves to the start of the next epoch. */
    public void nextEpoch() {
        epoch++;
        batch = 0;
        lossSum = 0;
        right = 0;
        seen = 0;
        windowLoss = 0;
        windowBatches = 0;
        seconds = 0;
    }

    /** Writes the checkpoint of a run of {@code config} standing here (atomically, checksummed). */
    public void write(Path file, TrainConfig config, Module model, Optimizer optimizer, JsonArray epochs, JsonArray steps)
            throws IOException {
        write(file, config, model, optimizer, epochs, steps, Map.of());
    }

    /**
     * As {@link #write(Path, TrainConfig, Module, Optimizer, JsonArray, JsonArray)}, with more settings of the run
     * ({@code extra}, such as a data-parallel run's partition count) that a resume must repeat as well.
     */
    public void write(Path file, TrainConfig config, Module model, Optimizer optimizer, JsonArray epochs, JsonArray steps,
                      Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(extra);
        meta.put("config", resumeIdentity(config).toString());
        meta.put("epoch", String.valueOf(epoch));
        meta.put("batch", String.valueOf(batch));
        meta.put("step", String.valueOf(step));
        // Doubles as their bits, so the resumed sums continue exactly.
        meta.put("epoch_loss_sum", Long.toHexString(Double.doubleToRawLongBits(lossSum)));
        meta.put("epoch_correct", String.valueOf(right));
        meta.put("epoch_seen", String.valueOf(seen));
        meta.put("window_loss", Long.toHexString(Double.doubleToRawLongBits(windowLoss)));
        meta.put("window_batches", String.valueOf(windowBatches));
        meta.put("epoch_seconds", Long.toHexString(Double.doubleToRawLongBits(seconds)));
        meta.put("metrics_epochs", epochs.toString());
        meta.put("metrics_steps", steps.toString());
        model.namedModules().forEach((path, m) -> {
            if (m instanceof Dropout d) {
                meta.put("dropout." + path, String.valueOf(d.calls()));
            }
        });
        new Checkpoint(model.stateDict(), optimizer.stateDict(), meta).write(file);
    }

    /** The settings that decide a run's result: the config without where its data lies (which may move). */
    private static JsonObject resumeIdentity(TrainConfig c) {
        JsonObject o = c.toJson();
        o.remove("data_dir");
        return o;
    }

    /**
     * Loads a checkpoint of a run of {@code config} into the model and optimizer and the metrics so far into
     * {@code epochs} and {@code steps}; returns where the run stands.
     *
     * @throws IllegalArgumentException naming the file and the key when a piece is missing or malformed, or the
     *     setting that differs from the checkpoint's
     */
    public static RunState restore(Path file, TrainConfig config, Module model, Optimizer optimizer, JsonArray epochs,
                                   JsonArray steps) throws IOException {
        Checkpoint ck = Checkpoint.read(file);
        Map<String, String> meta = ck.metadata();
        for (String key : CHECKPOINT_KEYS) {
            if (!meta.containsKey(key)) {
                throw new IllegalArgumentException("resume: checkpoint must hold '" + key + "' but does not (file=" + file
                        + "); it was written by an older vcnn or by something else: start the run again");
            }
        }
        JsonObject saved = parseMeta(meta, "config", file, true).getAsJsonObject();
        // Through text, as the saved one was: numbers compare as they are written.
        JsonObject now = JsonParser.parseString(resumeIdentity(config).toString()).getAsJsonObject();
        for (String key : union(saved.keySet(), now.keySet())) {
            if (!Objects.equals(saved.get(key), now.get(key))) {
                throw new IllegalArgumentException("resume: setting '" + key + "' must be " + saved.get(key)
                        + " as in the checkpoint but was " + now.get(key) + " (file=" + file
                        + "); a resumed run continues with the settings it started with");
            }
        }
        model.loadStateDict(ck.model(), true);
        long stepsDone = longMeta(meta, "step", file);
        optimizer.loadStateDict(ck.optimizer());
        if (stepsDone > 0) {
            optimizer.requireStateForEveryParameter("checkpoint " + file);
        }
        RunState at = new RunState();
        at.epoch = (int) longMeta(meta, "epoch", file);
        at.batch = (int) longMeta(meta, "batch", file);
        at.step = stepsDone;
        at.lossSum = doubleBitsMeta(meta, "epoch_loss_sum", file);
        at.right = longMeta(meta, "epoch_correct", file);
        at.seen = longMeta(meta, "epoch_seen", file);
        at.windowLoss = doubleBitsMeta(meta, "window_loss", file);
        at.windowBatches = (int) longMeta(meta, "window_batches", file);
        at.seconds = doubleBitsMeta(meta, "epoch_seconds", file);
        if (at.epoch > config.epochs()) {
            throw new IllegalArgumentException("resume: checkpoint's epoch must be at most " + config.epochs() + " but was "
                    + at.epoch + " (file=" + file + ")");
        }
        for (var entry : model.namedModules().entrySet()) {
            if (entry.getValue() instanceof Dropout d) {
                String key = "dropout." + entry.getKey();
                if (!meta.containsKey(key)) {
                    throw new IllegalArgumentException("resume: checkpoint must hold '" + key + "' (the dropout layer's "
                            + "random position) but does not (file=" + file + ")");
                }
                d.calls(longMeta(meta, key, file));
            }
        }
        parseMeta(meta, "metrics_epochs", file, false).getAsJsonArray().forEach(epochs::add);
        parseMeta(meta, "metrics_steps", file, false).getAsJsonArray().forEach(steps::add);
        return at;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        var all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    private static long longMeta(Map<String, String> meta, String key, Path file) {
        try {
            long v = Long.parseLong(meta.get(key));
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("resume: checkpoint's '" + key + "' must be a non-negative integer but was '"
                    + meta.get(key) + "' (file=" + file + ")");
        }
    }

    private static double doubleBitsMeta(Map<String, String> meta, String key, Path file) {
        try {
            return Double.longBitsToDouble(Long.parseUnsignedLong(meta.get(key), 16));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("resume: checkpoint's '" + key + "' must be a double's bits in hex but was '"
                    + meta.get(key) + "' (file=" + file + ")");
        }
    }

    /** A metadata value that must be a JSON object ({@code object}) or array. */
    private static JsonElement parseMeta(Map<String, String> meta, String key, Path file, boolean object) {
        JsonElement e;
        try {
            e = JsonParser.parseString(meta.get(key));
        } catch (RuntimeException ex) {
            e = null;
        }
        if (e == null || (object ? !e.isJsonObject() : !e.isJsonArray())) {
            throw new IllegalArgumentException("resume: checkpoint's '" + key + "' must be a JSON " + (object ? "object" : "array")
                    + " but was not (file=" + file + ")");
        }
        return e;
    }
}
