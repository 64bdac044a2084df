using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;

namespace Lethe.Aws.Records;

/// <summary>
/// The Subjects item in the Keys table (<c>TENANT#t</c> / <c>SUBJECT#ref</c>): the subject id, sealed under the subject's KEK.
/// Written inside the transaction of the subject's first record (so it exists exactly when something of the subject does);
/// the shred of an erasure deletes it.
/// </summary>
public static class DynamoSubjectDirectory
{
    public static string SortKey(string subjectRef) => $"SUBJECT#{subjectRef}";

    /// <summary>How the directory writes its times (sortable text, as conditions compare them).</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>
    /// The transaction action that records the subject once (a later write keeps the first sealed id and time) and stamps
    /// every write's time: a retention shred refuses to delete the KEK of a subject written to since its quiet period began.
    /// </summary>
    public static Update Register(string keysTable, string tenantId, string subjectRef, byte[] sealedSubjectId, DateTimeOffset at) => new()
    {
        TableName = keysTable,
        Key = DynamoKeys.Of(tenantId, SortKey(subjectRef)),
        UpdateExpression = "SET subjectRef = :ref, sealedSubjectId = if_not_exists(sealedSubjectId, :sealed), firstSeenAt = if_not_exists(firstSeenAt, :at), lastWriteAt = :at",
        ExpressionAttributeValues = new()
        {
            [":ref"] = new() { S = subjectRef },
            [":sealed"] = new() { B = new MemoryStream(sealedSubjectId) },
            [":at"] = new() { S = Time(at) },
        },
    };
}

/// <summary>
/// Reads a subject's id back from the directory (API.md: a job shows <c>subjectId</c> only while the subject exists). The id is
/// sealed under the subject's KEK, so once an erasure shreds the KEK and deletes the entry, nothing names the person any more.
/// </summary>
public sealed class SubjectDirectoryReader(Amazon.DynamoDBv2.IAmazonDynamoDB dynamo, string keysTable, Domain.Crypto.IKeyHierarchy keys)
{
    /// <summary>The subject's id, or null when it is not (or no longer) known: erased, never stored, or its key unreadable.</summary>
    public async Task<string?> FindIdAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = keysTable, Key = DynamoKeys.Of(tenantId, DynamoSubjectDirectory.SortKey(subjectRef)), ConsistentRead = true }, cancellationToken);
        if (!response.IsItemSet || response.Item is not { Count: > 0 } item || item.GetValueOrDefault("sealedSubjectId")?.B is not { } sealedId)
        {
            return null;
        }

        var envelope = sealedId.ToArray();
        var kek = await keys.FindSubjectKekAsync(tenantId, tenantKeyArn, subjectRef, cancellationToken);
        if (kek is not null && Domain.Crypto.FieldEnvelope.KeyIdOf(envelope) != kek.KeyId)
        {
            kek = await keys.RefreshSubjectKekAsync(tenantId, tenantKeyArn, subjectRef, cancellationToken);
        }

        if (kek is null)
        {
            return null;
        }

        try
        {
            return System.Text.Encoding.UTF8.GetString(Domain.Crypto.FieldEnvelope.Open(envelope, kek, Domain.Records.RecordService.SubjectIdContext(tenantId, subjectRef)));
        }
        catch (Domain.Crypto.EnvelopeException)
        {
            return null;
        }
    }
}
