using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Lethe.LocalCloud.Gateway;

/// <summary>
/// Counts every AWS call the gateway forwards, by operation (<c>DynamoDB_20120810.BatchWriteItem</c>, <c>s3:POST?delete</c>, …):
/// benchmarks compare the calls Lethe makes with one call per item.
/// </summary>
public sealed class AwsCallCounter
{
    private readonly ConcurrentDictionary<string, long> _calls = new(StringComparer.Ordinal);

    public void Count(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = request.Headers["X-Amz-Target"].ToString();
        var operation = target.Length > 0 ? target : ClassifyS3OrQuery(request);
        _calls.AddOrUpdate(operation, 1, (_, n) => n + 1);
    }

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_calls, StringComparer.Ordinal);

    public long Total => _calls.Values.Sum();

    public void Reset() => _calls.Clear();

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
