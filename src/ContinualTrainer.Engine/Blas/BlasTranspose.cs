namespace ContinualTrainer.Engine.Blas;

/// <summary>Whether a GEMM operand is used as stored (row-major) or transposed.</summary>
public enum BlasTranspose
{
    /// <summary>op(X) = X.</summary>
    None,

    /// <summary>op(X) = X^T: a weight stored as Hugging Face (out, in) multiplies as <c>x @ W^T</c> with no copy.</summary>
    Transpose,
}
