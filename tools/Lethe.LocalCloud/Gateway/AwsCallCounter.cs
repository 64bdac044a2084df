using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Lethe.LocalCloud.Gateway;

/// <summary>
/// Counts every AWS call the gateway forwards, by operation (<c>DynamoDB_20120810.BatchWriteItem</c>, <c>s3:POST?delete</c>, …):
/// benchmarks compare the calls Lethe makes with one call per item. DynamoDB calls are also counted by the first table they
/// name (<see cref="SnapshotByTable"/>), so a benchmark can tell, say, the audit chainer's calls from a workflow's.
/// </summary>
public sealed partial class AwsCallCounter
{
    private const string DynamoPrefix = "DynamoDB_20120810.";
    private const int TableNameWindow = 4096;

    private readonly ConcurrentDictionary<string, long> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _byTable = new(StringComparer.Ordinal);

    [GeneratedRegex("\"TableName\"\\s*:\\s*\"([^\"]+)\"")]
    private static partial Regex TableName();

    /// <summary>A batch call names its tables as the keys of <c>RequestItems</c>: the first one counts.</summary>
    [GeneratedRegex("\"RequestItems\"\\s*:\\s*\\{\\s*\"([^\"]+)\"")]
    private static partial Regex BatchTableName();

    /// <summary>Counts the call, and a DynamoDB call also under its first table (the body is buffered and rewound for the forwarder).</summary>
    public async Task CountAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Count(request);
        var target = request.Headers["X-Amz-Target"].ToString();
        if (!target.StartsWith(DynamoPrefix, StringComparison.Ordinal) || request.ContentLength is not > 0)
        {
            return;
        }

        request.EnableBuffering();
        var buffer = new byte[(int)Math.Min(TableNameWindow, request.ContentLength.Value)];
        var read = 0;
        while (read < buffer.Length && await request.Body.ReadAsync(buffer.AsMemory(read), request.HttpContext.RequestAborted) is var n and > 0)
        {
            read += n;
        }

        request.Body.Position = 0;
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        var match = TableName().Match(text);
        var batch = match.Success ? match : BatchTableName().Match(text);
        var table = batch.Success ? batch.Groups[1].Value : "?";
        // The audit chain's own items (its head and links) tell the chainer's writes and reads from a journal append.
        var chain = text.Contains("CHAINHEAD", StringComparison.Ordinal) || text.Contains("\"CHAIN#", StringComparison.Ordinal) ? " (chain)" : string.Empty;
        _byTable.AddOrUpdate($"{target[DynamoPrefix.Length..]} {table}{chain}", 1, (_, c) => c + 1);
    }

    /// <summary>
    /// DynamoDB calls by <c>"{operation} {table}"</c> (the physical table name the call names first), with <c>" (chain)"</c>
    /// appended when the call touches the audit chain's head or links.
    /// </summary>
    public IReadOnlyDictionary<string, long> SnapshotByTable() => new Dictionary<string, long>(_byTable, StringComparer.Ordinal);

    public void Count(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = request.Headers["X-Amz-Target"].ToString();
        var operation = target.Length > 0 ? target : ClassifyS3OrQuery(request);
        _calls.AddOrUpdate(operation, 1, (_, n) => n + 1);
    }

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_calls, StringComparer.Ordinal);

    public long Total => _calls.Values.Sum();

    public void Reset()
    {
        _calls.Clear();
        _byTable.Clear();
    }

    private static string ClassifyS3OrQuery(HttpRequest request)
    {
        var query = request.QueryString.Value ?? string.Empty;
        var marker = query.Contains("delete", StringComparison.Ordinal) ? "?delete"
            : query.Contains("versions", StringComparison.Ordinal) ? "?versions"
            : query.Contains("uploads", StringComparison.Ordinal) || query.Contains("uploadId", StringComparison.Ordinal) ? "?multipart"
            : string.Empty;
        return $"http:{request.Method}{marker}";
    }
}
