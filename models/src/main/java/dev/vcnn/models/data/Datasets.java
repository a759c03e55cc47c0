package dev.vcnn.models.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The datasets the command line knows by name, and where each looks for its files. */
public final class Datasets {
    public static final List<String> NAMES = List.of("synthetic", "mnist", "fashion-mnist", "cifar10", "folder");
    public static final List<String> FASHION_CLASSES = List.of("t-shirt/top", "trouser", "pullover", "dress", "coat",
            "sandal", "shirt", "sneaker", "bag", "ankle boot");
    public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private Datasets() {}

    /**
     * Loads a dataset's training and test sets.
     *
     * @param dataDir where the files are (unused for synthetic): IDX files for mnist and fashion-mnist,
     *     the {@code .bin} batches for cifar10, {@code train/} and {@code test/} class folders (or class
     *     folders directly, split 80/20 by seed) for folder
     * @param channels, size the input the model wants (synthetic and folder images are made to fit)
     * @throws IllegalArgumentException for an unknown name or bad files, naming the file
     */
    public static Dataset.Split load(String name, Path dataDir, int channels, int size, long seed,
                                     int syntheticTrain, int syntheticTest) throws IOException {
        return switch (name) {
            case "synthetic" -> Synthetic.generate(seed, channels, size, syntheticTrain, syntheticTest);
            case "mnist" -> idx("mnist", require(name, dataDir), DIGITS);
            case "fashion-mnist" -> idx("fashion-mnist", require(name, dataDir), FASHION_CLASSES);
            case "cifar10" -> Cifar10.read(require(name, dataDir));
            case "folder" -> folder(require(name, dataDir), channels, size, seed);
            default -> throw new IllegalArgumentException("dataset must be one of " + NAMES + " but was '" + name + "'");
        };
    }

    /** Reads records [from, to) of a training set. */
    @FunctionalInterface
    public interface RangeReader {
        Dataset read(int from, int to) throws IOException;
    }

    /** A training set's {@code count} records in file order, of which a range can be read without the rest. */
    public record TrainRecords(int count, RangeReader reader) {
        /**
         * Records [from, to), read (where the format allows it) without reading the others.
         *
         * @throws IllegalArgumentException for bad files, naming them, or a range outside [0, count]
         */
        public Dataset range(int from, int to) throws IOException {
            return reader.read(from, to);
        }
    }

    /**
     * Checks that [from, to) lies in [0, total].
     *
     * @throws IllegalArgumentException "READER: record range must lie in [0, total] but was [from, to) (WHERE)"
     */
    static void checkRange(String reader, long from, long to, long total, String where) {
        if (from < 0 || from > to || to > total) {
            throw new IllegalArgumentException(reader + ": record range must lie in [0, " + total + "] but was [" + from + ", "
                    + to + ") (" + where + ")");
        }
    }

    /**
     * The training set {@link #load} would return, as records a range of which can be read alone: IDX
     * files read past the records before it, CIFAR-10 files are read from its first record, a
     * {@code train/} image folder decodes only its images. A synthetic set is generated whole, and so is a
     * folder split 80/20 by seed (its training set is not a range of files).
     */
    public static TrainRecords trainRecords(String name, Path dataDir, int channels, int size, long seed,
                                            int syntheticTrain, int syntheticTest) throws IOException {
        switch (name) {
            case "mnist", "fashion-mnist" -> {
                Path dir = require(name, dataDir);
                Path images = find(dir, "train-images-idx3-ubyte");
                Path labels = find(dir, "train-labels-idx1-ubyte");
                List<String> classes = name.equals("mnist") ? DIGITS : FASHION_CLASSES;
                int n = Idx.count(images);
                return new TrainRecords(n, (from, to) -> Idx.read(name + " train", images, labels, classes, from, to));
            }
            case "cifar10" -> {
                List<Path> files = Cifar10.trainFiles(require(name, dataDir));
                return new TrainRecords(Cifar10.count(files), (from, to) -> Cifar10.readFiles("cifar10 train", files, from, to));
            }
            case "folder" -> {
                Path dir = require(name, dataDir);
                if (Files.isDirectory(dir.resolve("train")) && Files.isDirectory(dir.resolve("test"))) {
                    List<Path> classDirs = ImageFolder.classDirs(dir.resolve("train"));
                    List<String> classes = classDirs.stream().map(p -> p.getFileName().toString()).toList();
                    ImageFolder.Listing listing = ImageFolder.list(classes, classDirs);
                    return new TrainRecords(listing.files().size(), (from, to) ->
                            ImageFolder.read("folder train", classes, listing, channels, size, size, from, to));
                }
                return inMemory(load(name, dataDir, channels, size, seed, syntheticTrain, syntheticTest).train());
            }
            default -> {
                return inMemory(load(name, dataDir, channels, size, seed, syntheticTrain, syntheticTest).train());
            }
        }
    }

    /** Records held in memory already: a range is a subset. */
    public static TrainRecords inMemory(Dataset d) {
        return new TrainRecords(d.size(), (from, to) -> {
            checkRange(d.name(), from, to, d.size(), "in memory");
            return d.subset(d.name(), java.util.stream.IntStream.range(from, to).toArray());
        });
    }

    private static Path require(String name, Path dir) {
        if (dir == null) {
            throw new IllegalArgumentException("dataset " + name + " needs --data-dir: the folder with its files");
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("dataset " + name + ": --data-dir must be a folder but was missing (dir=" + dir + ")");
        }
        return dir;
    }

    private static Dataset.Split idx(String name, Path dir, List<String> classes) throws IOException {
        return new Dataset.Split(
                Idx.read(name + " train", find(dir, "train-images-idx3-ubyte"), find(dir, "train-labels-idx1-ubyte"), classes),
                Idx.read(name + " test", find(dir, "t10k-images-idx3-ubyte"), find(dir, "t10k-labels-idx1-ubyte"), classes));
    }

    /** {@code base} or {@code base.gz} in dir. */
    private static Path find(Path dir, String base) {
        for (String candidate : new String[] {base + ".gz", base, base.replace("-idx", ".idx")}) {
            if (Files.isRegularFile(dir.resolve(candidate))) {
                return dir.resolve(candidate);
            }
        }
        throw new IllegalArgumentException("idx: file must exist but was missing (file=" + dir.resolve(base + ".gz") + " or "
                + dir.resolve(base) + ")");
    }

    private static Dataset.Split folder(Path dir, int channels, int size, long seed) throws IOException {
        if (Files.isDirectory(dir.resolve("train")) && Files.isDirectory(dir.resolve("test"))) {
            Dataset train = ImageFolder.read("folder train", dir.resolve("train"), channels, size, size);
            List<Path> testDirs = train.classes().stream().map(c -> dir.resolve("test").resolve(c)).toList();
            return new Dataset.Split(train, ImageFolder.read("folder test", train.classes(), testDirs, channels, size, size));
        }
        Dataset all = ImageFolder.read("folder", dir, channels, size, size);
        return Splits.split(all, 0.2, seed, "folder train", "folder test");
    }
}
