using Amazon.Runtime;
using Lethe.Aws.Records;
using Lethe.Domain.Crypto;
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
            catch (Exception ex) when (Refusal(ex) is { } reason)
            {
                failures[record.Id] = $"The record could not be opened to mask it ({reason}); nothing of it was deleted. Retry the request once the tenant key admits the purge step.";
            }
        }

        return new MaskingInput(await directory.FindIdAsync(tenant.Id, keyArn, subjectRef, cancellationToken), opened, failures);
    }

    /// <summary>
    /// A refusal that a retry of the step would meet again (the key refuses, an envelope does not open), named by its code only
    /// (a message may carry key ARNs); null for anything else, throttling included, which the workflow's Retry handles.
    /// </summary>
    private static string? Refusal(Exception exception) => exception switch
    {
        EnvelopeException envelope => $"envelope: {envelope.Reason}",
        AmazonServiceException service when (int)service.StatusCode is >= 400 and < 500 && (int)service.StatusCode != 429
            && service.ErrorCode?.Contains("Throttl", StringComparison.OrdinalIgnoreCase) != true => $"{service.ErrorCode ?? "refused"}",
        _ => null,
    };
}
