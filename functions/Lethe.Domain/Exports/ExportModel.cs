using Lethe.Domain.Audit;
using Lethe.Domain.Records;

namespace Lethe.Domain.Exports;

/// <summary>
/// What an export delivers (API.md, Requests): the ZIP of the layout below, one JSON document, a ZIP of CSV files (each ZIP with
/// its readable report.pdf), or that report alone.
/// </summary>
public enum ExportFormat
{
    Zip,
    Json,
    Csv,
    Pdf,
}

public static class ExportFormats
{
    public static string Name(ExportFormat format) => format.ToString().ToLowerInvariant();

    public static ExportFormat Parse(string? value) => value switch
    {
        null or "zip" => ExportFormat.Zip,
        "json" => ExportFormat.Json,
        "csv" => ExportFormat.Csv,
        "pdf" => ExportFormat.Pdf,
        _ => throw new FormatException($"Unknown export format '{value}'."),
    };

    /// <summary>zip and csv are ZIP archives; json is one document and pdf one report (neither is cut into volumes).</summary>
    public static bool IsArchive(ExportFormat format) => format is ExportFormat.Zip or ExportFormat.Csv;

    public static string ContentType(ExportFormat format) => format switch
    {
        ExportFormat.Json => "application/json",
        ExportFormat.Pdf => "application/pdf",
        _ => "application/zip",
    };

    public static string Extension(ExportFormat format) => format switch
    {
        ExportFormat.Json => "json",
        ExportFormat.Pdf => "pdf",
        _ => "zip",
    };
}

/// <summary>A record as the export shows it: every field in clear (field envelopes are opened on the way out).</summary>
public sealed record ExportRecord(string Id, string Category, DateTimeOffset CreatedAt, IReadOnlyDictionary<string, string> Fields);

/// <summary>A stored file of the subject; its bytes are streamed from the store when the packager reaches it.</summary>
public sealed record ExportFile(string ItemId, string FileName, string Category);

/// <summary>
/// An item of the subject that sits in the archive: an export lists it by id (its content needs a retrieval first, API.md
/// <c>POST …/items/{id}/retrieve</c>), so the right of access shows everything that is kept.
/// </summary>
public sealed record ExportArchivedItem(string ItemId, string Kind, string Category, DateTimeOffset? ArchivedUntil);

/// <summary>One entry of <c>manifest.json</c>: its path in the archive, its uncompressed size and the hex SHA-256 of its bytes.</summary>
public sealed record ManifestEntry(string Path, long Size, string Sha256);

/// <summary>What every volume repeats in its manifest: which request, whose data (the subject ref, never the id), when.</summary>
public sealed record ExportHeader(string RequestId, string SubjectRef, DateTimeOffset GeneratedAt)
{
    /// <summary>Which volume of the export this is (1 for single-volume formats).</summary>
    public int Volume { get; init; } = 1;

    /// <summary>Whether this volume carries the subject's consents, restriction, archived items and audit events (the subject's first).</summary>
    public bool First { get; init; } = true;

    /// <summary>What the tenant's other systems confirmed for this export (its connectors), listed in the manifest.</summary>
    public IReadOnlyList<Connectors.ConnectorCall> Connectors { get; init; } = [];
}

/// <summary>What one volume holds, for the job and the audit (counts only: no content, no names).</summary>
public sealed record ExportVolumeSummary(int Records, int Files, int Consents, int AuditEvents, long ArchiveBytes, IReadOnlyList<ManifestEntry> Entries);

/// <summary>
/// The content of one export volume: a slice of the subject's inventory (records and files), plus consents and the subject's
/// audit events (volume 1 only). Enumerations stream from the store page by page and may be enumerated more than once (the
/// ZIP writes the records once as JSON, then once per category as CSV). A port: the Lethe.Aws adapter reads DynamoDB and S3,
/// benchmarks use a synthetic source, and Domain tests an in-memory one.
/// </summary>
public interface IExportSource
{
    /// <summary>The records of the volume in inventory order; only those of <paramref name="category"/> when it is given.</summary>
    IAsyncEnumerable<ExportRecord> RecordsAsync(string? category, CancellationToken cancellationToken);

    IAsyncEnumerable<ExportFile> FilesAsync(CancellationToken cancellationToken);

    /// <summary>The current version of the file's bytes, read as a stream (never buffered whole).</summary>
    Task<Stream> OpenFileAsync(ExportFile file, CancellationToken cancellationToken);

    IAsyncEnumerable<ConsentState> ConsentsAsync(CancellationToken cancellationToken);

    /// <summary>The subject's restriction of processing when one was ever set (volume 1 only; null otherwise).</summary>
    Task<RestrictionState?> RestrictionAsync(CancellationToken cancellationToken);

    IAsyncEnumerable<ChainedAuditEvent> AuditAsync(CancellationToken cancellationToken);

    /// <summary>The subject's archived items, listed by id (volume 1 only; none in later volumes).</summary>
    IAsyncEnumerable<ExportArchivedItem> ArchivedAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The shape of large exports (DESIGN.md: a volume closes at 2 GB or 10 minutes of work). The item cap holds the time bound:
/// 200,000 items or 2 GB take about a minute at the measured rate (ADR 0007).
/// </summary>
public sealed record ExportLimits(long VolumeBytes, int VolumeItems)
{
    public static ExportLimits Default { get; } = new(2L * 1024 * 1024 * 1024, 200_000);

    /// <summary>A record counts this much toward a volume's size before it is read (records are small; files are measured).</summary>
    public const long RecordSizeEstimate = 4 * 1024;

    /// <summary>One volume holds everything (format json: one document).</summary>
    public static ExportLimits Unlimited { get; } = new(long.MaxValue, int.MaxValue);
}
