using System.Buffers.Binary;

namespace ContinualTrainer.Dataset;

/// <summary>Token ids as stored in the database: int32 little-endian, back to back.</summary>
public static class TokenBlob
{
    public static byte[] ToBytes(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length * sizeof(int)];
        for (var i = 0; i < ids.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(int)), ids[i]);
        return bytes;
    }

    public static int[] FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % sizeof(int) != 0) throw new FormatException($"a token blob of {bytes.Length} bytes is not a whole number of int32 ids");
        var ids = new int[bytes.Length / sizeof(int)];
        for (var i = 0; i < ids.Length; i++) ids[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * sizeof(int))..]);
        return ids;
    }
}
