namespace Lethe.Aws.IO;

/// <summary>
/// What every read-once stream here shares (an S3 body, a size-limited request body, a rewritten connection): it reads, it
/// neither seeks nor writes, and it knows no length or position unless a subclass says otherwise.
/// </summary>
public abstract class ForwardReadStream : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
