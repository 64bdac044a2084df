using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace Lethe.Api;

/// <summary>
/// Kestrel refuses a request target holding a percent-encoded NUL (<c>%00</c>) before any of our code runs, with a bare 400 and
/// no body. API.md promises a problem+json for every error, so this connection middleware rewrites <c>%00</c> inside HTTP/1.x
/// request lines only (never headers or bodies: it follows Content-Length, and stops rewriting on a chunked body or an upgrade;
/// Kestrel speaks HTTP/2 only over TLS here, so cleartext connections are HTTP/1.x) into <c>%EF%BF%BD</c> (U+FFFD), which reaches the pipeline, where <see cref="ApiHost"/> answers it with a 400
/// problem naming the path parameter. The bytes of a body are passed on untouched.
/// </summary>
public static class NulTargetRewriter
{
    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => async connection =>
    {
        var transport = connection.Transport;
        connection.Transport = new Duplex(PipeReader.Create(new RewritingStream(transport.Input.AsStream(leaveOpen: true))), transport.Output);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    };

    /// <summary>U+FFFD, percent-encoded: what <c>%00</c> in a request line becomes.</summary>
    public static ReadOnlySpan<byte> Replacement => "%EF%BF%BD"u8;

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>The byte stream of a connection with <c>%00</c> rewritten in request lines; public for its tests.</summary>
    public sealed class RewritingStream(Stream inner) : Lethe.Aws.IO.ForwardReadStream
    {
        private const int MaxHeaderLine = 16 * 1024;

        private enum Mode
        {
            RequestLine,
            Headers,
            Body,
            PassThrough,
        }

        private readonly byte[] _buffer = new byte[8192];
        private readonly List<byte> _out = [];
        private readonly StringBuilder _header = new();
        private Mode _mode = Mode.RequestLine;
        private int _percentRun;
        private long _bodyLeft;
        private long _contentLength;
        private bool _chunked;
        private int _outOffset;
        private bool _started;

        /// <summary>The first byte of a TLS record carrying a handshake (a ClientHello opens every TLS connection).</summary>
        private const byte TlsHandshake = 0x16;

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_outOffset >= _out.Count)
            {
                if (!Produce(inner.Read(_buffer, 0, _buffer.Length)))
                {
                    break;
                }
            }

            return Drain(buffer.AsSpan(offset, count));
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_outOffset >= _out.Count)
            {
                if (!Produce(await inner.ReadAsync(_buffer, cancellationToken)))
                {
                    break;
                }
            }

            return Drain(buffer.Span);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        /// <summary>Rewrites what was read; false at the end of the connection (a '%' or "%0" held back is then its last byte).</summary>
        private bool Produce(int read)
        {
            _out.Clear();
            _outOffset = 0;
            if (read == 0)
            {
                AppendPending();
                return false;
            }

            Process(_buffer.AsSpan(0, read));
            return true;
        }

        private int Drain(Span<byte> destination)
        {
            var count = Math.Min(destination.Length, _out.Count - _outOffset);
            for (var i = 0; i < count; i++)
            {
                destination[i] = _out[_outOffset + i];
            }

            _outOffset += count;
            return count;
        }

        private void Process(ReadOnlySpan<byte> bytes)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                var b = bytes[i];
                switch (_mode)
                {
                    case Mode.PassThrough:
                        _out.AddRange(bytes[i..].ToArray());
                        return;
                    case Mode.Body:
                        var take = (int)Math.Min(_bodyLeft, bytes.Length - i);
                        _out.AddRange(bytes.Slice(i, take).ToArray());
                        _bodyLeft -= take;
                        i += take - 1;
                        if (_bodyLeft == 0)
                        {
                            _mode = Mode.RequestLine;
                        }

                        break;
                    case Mode.RequestLine:
                        RequestLineByte(b);
                        break;
                    case Mode.Headers:
                        _out.Add(b);
                        HeaderByte(b);
                        break;
                }
            }
        }

        private void RequestLineByte(byte b)
        {
            if (!_started)
            {
                _started = true;
                if (b == TlsHandshake)
                {
                    // A TLS ClientHello: this connection's bytes are encrypted, nothing in them is ours to rewrite.
                    _mode = Mode.PassThrough;
                    _out.Add(b);
                    return;
                }
            }

            if (b == (byte)'%' && _percentRun == 0)
            {
                _percentRun = 1;
                return;
            }

            if (b == (byte)'0' && _percentRun is 1 or 2)
            {
                if (++_percentRun == 3)
                {
                    _out.AddRange(Replacement.ToArray());
                    _percentRun = 0;
                }

                return;
            }

            AppendPending();
            if (b == (byte)'%')
            {
                _percentRun = 1;
                return;
            }

            _out.Add(b);
            if (b == (byte)'\n')
            {
                _mode = Mode.Headers;
                _header.Clear();
                (_contentLength, _chunked) = (0, false);
            }
        }

        private void HeaderByte(byte b)
        {
            if (b != (byte)'\n')
            {
                if (_header.Length < MaxHeaderLine)
                {
                    _header.Append((char)b);
                }
                else
                {
                    // A header line this long is not ours to follow: pass the rest of the connection through.
                    _mode = Mode.PassThrough;
                }

                return;
            }

            var line = _header.ToString().TrimEnd('\r');
            _header.Clear();
            if (line.Length == 0)
            {
                _mode = _chunked ? Mode.PassThrough : _contentLength > 0 ? Mode.Body : Mode.RequestLine;
                _bodyLeft = _contentLength;
                return;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length))
            {
                _contentLength = length;
            }
            else if ((name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                _chunked = true;
            }
        }

        private void AppendPending()
        {
            if (_percentRun > 0)
            {
                _out.Add((byte)'%');
                if (_percentRun == 2)
                {
                    _out.Add((byte)'0');
                }

                _percentRun = 0;
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
