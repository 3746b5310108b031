namespace ContinualTrainer.Ingestion.Formats;

/// <summary>The argument checks every parser makes before it reads anything.</summary>
internal static class ParseArguments
{
    /// <summary>
    /// Throws when the stream is null or not seekable, the request is invalid, or the request resumes past the
    /// end of the file (it was truncated or replaced since the offset was stored).
    /// </summary>
    public static void Check(Stream stream, ParseRequest request)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (!stream.CanSeek) throw new ArgumentException("the conversation parsers need a seekable stream", nameof(stream));
        if (request.StartOffset > stream.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.StartOffset,
                $"{request.SourceFile}: resume offset {request.StartOffset} is beyond the end of the file ({stream.Length} bytes): it was truncated or replaced; parse it again from 0");
        }
    }
}
