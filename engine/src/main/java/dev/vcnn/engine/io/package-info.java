/**
 * Files: safetensors read and written with a checksum per tensor, checkpoints, and atomic writes that
 * leave the old file whole on failure.
 */
package dev.vcnn.engine.io;
