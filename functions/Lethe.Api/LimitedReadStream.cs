namespace Lethe.Api;

/// <summary>A request body of unknown length, cut off with 413 once it passes the limit (where the server cannot enforce one).</summary>
internal sealed class LimitedReadStream(Stream inner, long limit) : Lethe.Aws.IO.ForwardReadStream
{
    private long _read;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

    private int Count(int read)
    {
        _read += read;
        return _read > limit ? throw new BadHttpRequestException("The request body is too large.", StatusCodes.Status413PayloadTooLarge) : read;
    }
}
