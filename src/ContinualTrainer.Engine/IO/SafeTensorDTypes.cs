namespace ContinualTrainer.Engine.IO;

/// <summary>Header spellings and element sizes of <see cref="SafeTensorDType"/>.</summary>
public static class SafeTensorDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ByteSize(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.BOOL or SafeTensorDType.U8 or SafeTensorDType.I8
            or SafeTensorDType.F8_E4M3 or SafeTensorDType.F8_E5M2 => 1,
        SafeTensorDType.I16 or SafeTensorDType.U16 or SafeTensorDType.F16 or SafeTensorDType.BF16 => 2,
        SafeTensorDType.I32 or SafeTensorDType.U32 or SafeTensorDType.F32 => 4,
        SafeTensorDType.F64 or SafeTensorDType.I64 or SafeTensorDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype"),
    };

    /// <summary>The exact spelling used in a safetensors header, e.g. <c>"BF16"</c>.</summary>
    public static string HeaderName(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.BOOL => "BOOL",
        SafeTensorDType.U8 => "U8",
        SafeTensorDType.I8 => "I8",
        SafeTensorDType.I16 => "I16",
        SafeTensorDType.U16 => "U16",
        SafeTensorDType.F16 => "F16",
        SafeTensorDType.BF16 => "BF16",
        SafeTensorDType.I32 => "I32",
        SafeTensorDType.U32 => "U32",
        SafeTensorDType.F32 => "F32",
        SafeTensorDType.F64 => "F64",
        SafeTensorDType.I64 => "I64",
        SafeTensorDType.U64 => "U64",
        SafeTensorDType.F8_E4M3 => "F8_E4M3",
        SafeTensorDType.F8_E5M2 => "F8_E5M2",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype"),
    };

    /// <summary>Parses an exact, case-sensitive header spelling; false for anything else.</summary>
    public static bool TryParse(string headerName, out SafeTensorDType dtype)
    {
        foreach (var candidate in Enum.GetValues<SafeTensorDType>())
        {
            if (string.Equals(candidate.HeaderName(), headerName, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }
}
