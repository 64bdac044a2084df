using System.Text;
using System.Text.Json;
using Lethe.Domain.Audit;
using Lethe.Domain.Exports;
using Lethe.Domain.Records;

namespace Lethe.Domain.Tests.Exports;

/// <summary>An export volume held in memory: the Domain tests' stand-in for the DynamoDB and S3 adapter.</summary>
internal sealed class InMemoryExportSource : IExportSource
{
    public List<ExportRecord> Records { get; } = [];

    public Dictionary<ExportFile, byte[]> Files { get; } = [];

    public List<ConsentState> Consents { get; } = [];

    public List<ChainedAuditEvent> Audit { get; } = [];

    public List<ExportArchivedItem> Archived { get; } = [];

    public int RecordPasses { get; private set; }

    public async IAsyncEnumerable<ExportRecord> RecordsAsync(string? category, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        RecordPasses++;
        foreach (var record in Records.Where(r => category is null || r.Category == category))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return record;
        }
    }

    public IAsyncEnumerable<ExportFile> FilesAsync(CancellationToken cancellationToken) => Files.Keys.ToAsyncEnumerable();

    public Task<Stream> OpenFileAsync(ExportFile file, CancellationToken cancellationToken) => Task.FromResult<Stream>(new MemoryStream(Files[file], writable: false));

    public IAsyncEnumerable<ConsentState> ConsentsAsync(CancellationToken cancellationToken) => Consents.ToAsyncEnumerable();

    public RestrictionState? Restriction { get; set; }

    public Task<RestrictionState?> RestrictionAsync(CancellationToken cancellationToken) => Task.FromResult(Restriction);

    public IAsyncEnumerable<ChainedAuditEvent> AuditAsync(CancellationToken cancellationToken) => Audit.ToAsyncEnumerable();

    public IAsyncEnumerable<ExportArchivedItem> ArchivedAsync(CancellationToken cancellationToken) => Archived.ToAsyncEnumerable();

    public static InMemoryExportSource Sample()
    {
        var at = new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);
        var source = new InMemoryExportSource();
        source.Records.Add(new ExportRecord("rec_1", "transcript", at, new Dictionary<string, string> { ["text"] = "We talked, \"openly\", about\r\nthe move.", ["speaker"] = "coach" }));
        source.Records.Add(new ExportRecord("rec_2", "note", at.AddMinutes(1), new Dictionary<string, string> { ["body"] = "=SUM(A1) stays as written" }));
        source.Records.Add(new ExportRecord("rec_3", "transcript", at.AddMinutes(2), new Dictionary<string, string> { ["text"] = "Second session", ["mood"] = "calm" }));
        source.Files[new ExportFile("file_1", "session-audio.txt", "recording")] = Encoding.UTF8.GetBytes("audio bytes");
        source.Files[new ExportFile("file_2", "../../etc/passwd", "upload")] = Encoding.UTF8.GetBytes("not a zip slip");
        source.Consents.Add(new ConsentState("ai-processing", true, at, "user-1"));
        source.Archived.Add(new ExportArchivedItem("rec_old", "record", "transcript", at.AddDays(90)));
        using var details = JsonDocument.Parse("""{"subjectRef":"abc"}""");
        source.Audit.Add(new ChainedAuditEvent(
            new AuditEvent("evt-1", "acme", at, new AuditActor("user-1", "subject"), "record.create", "record/rec_1", "success", details.RootElement.Clone()),
            1, AuditChain.GenesisHash, new string('1', 64)));
        return source;
    }
}
