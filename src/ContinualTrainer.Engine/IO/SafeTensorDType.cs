namespace ContinualTrainer.Engine.IO;

/// <summary>
/// The element types a safetensors header may name. Member names are the exact header spellings
/// (<c>"BF16"</c>, <c>"F8_E4M3"</c>, ...); parse and print them with <see cref="SafeTensorDTypes"/>, never with
/// <see cref="Enum.TryParse{TEnum}(string, out TEnum)"/>, which would also accept numbers and other casings.
/// </summary>
public enum SafeTensorDType
{
    BOOL,
    U8,
    I8,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
    F8_E4M3,
    F8_E5M2,
}
