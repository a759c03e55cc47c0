package dev.vcnn.spark;

import dev.vcnn.models.data.ImageFolder;
import dev.vcnn.models.train.TrainedRun;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link Transformer} that classifies images with a trained vcnn run: it reads each row's image bytes
 * (the {@code content} column of Spark's {@code binaryFile} source by default) and adds the top class
 * ({@code prediction}), its probability ({@code probability}) and the most probable classes with theirs
 * ({@code top}: an array of {label, probability} structs). Each executor JVM opens the run once; each partition
 * runs in batches of {@link #setBatchSize} images on one vcnn thread a task. A row whose bytes do not decode fails
 * the job with the decoder's message naming the row's path.
 */
public final class ImageClassifier extends Transformer {
    private static final long serialVersionUID = 1L;
    /** Opened runs by directory, each used by one task at a time (a model's forward pass is not shared). */
    private static final Map<String, java.util.Queue<TrainedRun>> RUNS = new ConcurrentHashMap<>();

    private final String uid;
    private String runDir;
    private String inputCol = "content";
    private String pathCol = "path";
    private String predictionCol = "prediction";
    private String probabilityCol = "probability";
    private String topCol = "top";
    private int batchSize = 32;
    private int top = 5;

    public ImageClassifier() {
        this(Identifiable$.MODULE$.randomUID("vcnnImageClassifier"));
    }

    public ImageClassifier(String uid) {
        this.uid = uid;
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The run directory (a path every executor can read) whose model classifies. */
    public ImageClassifier setRun(String dir) {
        this.runDir = dir;
        return this;
    }

    public ImageClassifier setInputCol(String c) {
        this.inputCol = c;
        return this;
    }

    /** A string column named in errors and kept in the output; absent columns are fine. */
    public ImageClassifier setPathCol(String c) {
        this.pathCol = c;
        return this;
    }

    public ImageClassifier setPredictionCol(String c) {
        this.predictionCol = c;
        return this;
    }

    public ImageClassifier setProbabilityCol(String c) {
        this.probabilityCol = c;
        return this;
    }

    public ImageClassifier setTopCol(String c) {
        this.topCol = c;
        return this;
    }

    public ImageClassifier setBatchSize(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("spark: batch size must be >= 1 but was " + n);
        }
        this.batchSize = n;
        return this;
    }

    /** How many classes the {@code top} column holds. */
    public ImageClassifier setTop(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("spark: top must be >= 1 but was " + k);
        }
        this.top = k;
        return this;
    }

    /** The {label, probability} struct of the {@code top} column. */
    static final StructType PREDICTION = new StructType(new StructField[] {
        DataTypes.createStructField("label", DataTypes.StringType, false),
        DataTypes.createStructField("probability", DataTypes.DoubleType, false)});

    @Override
    public StructType transformSchema(StructType schema) {
        if (runDir == null) {
            throw new IllegalArgumentException("spark: ImageClassifier needs setRun(RUN_DIR) before it transforms");
        }
        int i;
        try {
            i = schema.fieldIndex(inputCol);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("spark: input column '" + inputCol + "' must exist but the columns are "
                    + java.util.Arrays.toString(schema.fieldNames()));
        }
        if (!schema.fields()[i].dataType().equals(DataTypes.BinaryType)) {
            throw new IllegalArgumentException("spark: input column '" + inputCol + "' must hold binary image bytes but holds "
                    + schema.fields()[i].dataType().simpleString());
        }
        for (String out : List.of(predictionCol, probabilityCol, topCol)) {
            if (List.of(schema.fieldNames()).contains(out)) {
                throw new IllegalArgumentException("spark: output column '" + out + "' already exists");
            }
        }
        return schema.add(predictionCol, DataTypes.StringType, false)
                .add(probabilityCol, DataTypes.DoubleType, false)
                .add(topCol, DataTypes.createArrayType(PREDICTION, false), false);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        StructType in = dataset.schema();
        int content = in.fieldIndex(inputCol);
        int path = List.of(in.fieldNames()).contains(pathCol) ? in.fieldIndex(pathCol) : -1;
        String dir = runDir;
        int n = batchSize;
        int k = top;
        MapPartitionsFunction<Row, Row> f = rows -> new Batches(rows, dir, content, path, n, k);
        return dataset.toDF().mapPartitions(f, Encoders.row(out));
    }

    @Override
    public ImageClassifier copy(ParamMap extra) {
        ImageClassifier c = new ImageClassifier(uid);
        c.runDir = runDir;
        c.inputCol = inputCol;
        c.pathCol = pathCol;
        c.predictionCol = predictionCol;
        c.probabilityCol = probabilityCol;
        c.topCol = topCol;
        c.batchSize = batchSize;
        c.top = top;
        return c;
    }

    /** A run of a directory for one task: opened once per concurrent task of a JVM, then reused. */
    static TrainedRun borrow(String dir) {
        TrainedRun r = RUNS.computeIfAbsent(dir, d -> new java.util.concurrent.ConcurrentLinkedQueue<>()).poll();
        if (r != null) {
            return r;
        }
        try {
            return TrainedRun.open(Path.of(dir)).requireClassifier("spark predict");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void giveBack(String dir, TrainedRun r) {
        RUNS.get(dir).add(r);
    }

    /** A partition's rows, classified a batch at a time, each output row its input row plus the three columns. */
    private static final class Batches implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final String dir;
        private final int content;
        private final int path;
        private final int batchSize;
        private final int top;
        private final List<Row> pending = new ArrayList<>();
        private int next;

        Batches(Iterator<Row> rows, String dir, int content, int path, int batchSize, int top) {
            this.rows = rows;
            this.dir = dir;
            this.content = content;
            this.path = path;
            this.batchSize = batchSize;
            this.top = top;
        }

        @Override
        public boolean hasNext() {
            if (next < pending.size()) {
                return true;
            }
            pending.clear();
            next = 0;
            List<Row> batch = new ArrayList<>();
            while (batch.size() < batchSize && rows.hasNext()) {
                batch.add(rows.next());
            }
            if (batch.isEmpty()) {
                return false;
            }
            TrainedRun r = borrow(dir);
            try {
                classify(r, batch);
            } finally {
                giveBack(dir, r);
            }
            return true;
        }

        private void classify(TrainedRun r, List<Row> batch) {
            List<BufferedImage> images = new ArrayList<>();
            for (Row row : batch) {
                String name = path >= 0 ? String.valueOf(row.get(path)) : "a row without a path";
                try {
                    images.add(ImageFolder.load((byte[]) row.get(content), name));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            List<List<TrainedRun.Prediction>> best;
            best = StepTask.oneThread().call(() -> r.top(r.inputs(images), top));
            for (int i = 0; i < batch.size(); i++) {
                Row row = batch.get(i);
                List<Row> structs = best.get(i).stream()
                        .map(p -> RowFactory.create(p.label(), (double) p.probability())).toList();
                Object[] values = new Object[row.length() + 3];
                for (int j = 0; j < row.length(); j++) {
                    values[j] = row.get(j);
                }
                values[row.length()] = best.get(i).getFirst().label();
                values[row.length() + 1] = (double) best.get(i).getFirst().probability();
                values[row.length() + 2] = scala.jdk.javaapi.CollectionConverters.asScala(structs).toSeq();
                pending.add(RowFactory.create(values));
            }
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return pending.get(next++);
        }
    }
}
