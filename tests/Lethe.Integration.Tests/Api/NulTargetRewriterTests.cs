using System.Text;
using Lethe.Api;

namespace Lethe.Tests.Integration.Api;

/// <summary>The connection rewriter touches %00 in request lines and nothing else: headers and bodies pass byte for byte.</summary>
public sealed class NulTargetRewriterTests
{
    private static async Task<string> RewriteAsync(string connection, int chunk = 3)
    {
        // Small reads: a %00 split across reads is still found.
        using var source = new ChunkedStream(Encoding.ASCII.GetBytes(connection), chunk);
        using var rewriting = new NulTargetRewriter.RewritingStream(source);
        using var result = new MemoryStream();
        await rewriting.CopyToAsync(result, TestContext.Current.CancellationToken);
        return Encoding.ASCII.GetString(result.ToArray());
    }

    [Fact]
    public async Task A_nul_in_the_request_line_becomes_a_replacement_character()
    {
        var rewritten = await RewriteAsync("GET /v1/tenants/t1%00x/settings HTTP/1.1\r\nHost: a\r\n\r\n");

        rewritten.Should().Be("GET /v1/tenants/t1%EF%BF%BDx/settings HTTP/1.1\r\nHost: a\r\n\r\n");
    }

    [Fact]
    public async Task Headers_and_bodies_keep_their_bytes_and_the_next_request_line_is_rewritten_again()
    {
        const string body = "{\"text\":\"%00 stays %00\"}";
        var connection = $"POST /a HTTP/1.1\r\nX-Note: %00\r\nContent-Length: {body.Length}\r\n\r\n{body}GET /b%00 HTTP/1.1\r\n\r\n";

        var rewritten = await RewriteAsync(connection, chunk: 5);

        rewritten.Should().Be($"POST /a HTTP/1.1\r\nX-Note: %00\r\nContent-Length: {body.Length}\r\n\r\n{body}GET /b%EF%BF%BD HTTP/1.1\r\n\r\n");
    }

    [Fact]
    public async Task A_chunked_body_turns_rewriting_off_for_the_rest_of_the_connection()
    {
        const string connection = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n%00ab\r\n0\r\n\r\nGET /b%00 HTTP/1.1\r\n\r\n";

        (await RewriteAsync(connection)).Should().Be(connection);
    }

    [Theory]
    [InlineData("GET /a%0 HTTP/1.1\r\n\r\n")]
    [InlineData("GET /a%20%30 HTTP/1.1\r\n\r\n")]
    [InlineData("GET /a%")]
    public async Task Other_percent_sequences_are_left_as_they_are(string connection) =>
        (await RewriteAsync(connection, chunk: 1)).Should().Be(connection);

    [Fact]
    public async Task A_TLS_connection_is_passed_through_untouched()
    {
        var hello = "\u0016\u0003\u0001 GET /a%00 HTTP/1.1\r\n\r\n";

        (await RewriteAsync(hello)).Should().Be(hello);
    }

    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
