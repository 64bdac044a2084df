using Lethe.Aws.Records;
using Lethe.Domain.Erasure;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Aws.Erasure;

/// <summary>
/// Opens the records an erasure masks (consistent reads of their rows, fields decrypted with the subject's KEK, which the shred
/// destroys only after the purge) and reads the subject's id from the directory, so masking can redact it wherever it appears.
/// Only rows of this subject are opened.
/// </summary>
public sealed class DynamoMaskingReader(DynamoRecordStore records, RecordService opener, SubjectDirectoryReader directory) : IMaskingReader
{
    public async Task<MaskingInput> OpenAsync(Tenant tenant, string subjectRef, IReadOnlyList<string> recordIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var keyArn = tenant.SealingKeyArn ?? throw new InvalidOperationException($"Tenant {tenant.Id} has no key.");
        var stored = await records.FindManyAsync(tenant.Id, recordIds, cancellationToken);
        var opened = new List<RecordView>();
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var record in stored.Where(r => r.SubjectRef == subjectRef))
        {
            try
            {
                opened.Add(await opener.OpenAsync(record, keyArn, cancellationToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures[record.Id] = $"The record could not be opened to mask it ({ex.GetType().Name}: {ex.Message}); nothing of it was deleted. Retry the request once the tenant key admits the purge step.";
            }
        }

        return new MaskingInput(await directory.FindIdAsync(tenant.Id, keyArn, subjectRef, cancellationToken), opened, failures);
    }
}
