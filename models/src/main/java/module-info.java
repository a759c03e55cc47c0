/** Architectures, datasets, augmentation, the training loop and pictures, on top of the engine. */
module dev.vcnn.models {
    requires transitive dev.vcnn.engine;

    exports dev.vcnn.models;
}
