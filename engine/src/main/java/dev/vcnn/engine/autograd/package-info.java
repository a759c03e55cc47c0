/**
 * Reverse-mode automatic differentiation: {@link dev.vcnn.engine.autograd.Variable}, the
 * differentiable operations in {@link dev.vcnn.engine.autograd.Functional}, the no-grad switch in
 * {@link dev.vcnn.engine.autograd.Autograd}, and the kernels and threads they run on in
 * {@link dev.vcnn.engine.autograd.Context}.
 */
package dev.vcnn.engine.autograd;
