using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/ingest.asl.json as deployed (<see cref="AslWorkflow"/>): normalize, store, derive, evidence pack, review
/// (waitForTaskToken), deliver, for one upload scanned clean. The steps that write records of the subject (store, derive,
/// pack, deliver) use tenant keys through each key's own policy; only normalize and store read the ingest bucket.
/// </summary>
public sealed class IngestWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction)
    : AslWorkflow(scope, id, state, "ingest", definitionFile, [ResourceCatalog.Ingest], createFunction)
{
    /// <summary>The steps that seal or open the subject's fields (tenant key users).</summary>
    public static readonly IReadOnlyList<string> RecordWriters = [Handlers.IngestStore, Handlers.IngestDerive, Handlers.IngestPackEvidence, Handlers.IngestDeliver];

    protected override void Grant(string handler, Function target)
    {
        var records = Table(ResourceCatalog.Records);
        var inventory = Table(ResourceCatalog.Inventory);
        var ingest = Bucket(ResourceCatalog.Ingest).ArnForObjects("*");
        // Every step reads the upload (its row and its inventory item, consistently) and moves it conditionally.
        GrantTable(target, records, "dynamodb:BatchGetItem", "dynamodb:UpdateItem");
        GrantTable(target, inventory, "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem");
        if (handler != Handlers.IngestRecordFailure)
        {
            GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
        }

        if (RecordWriters.Contains(handler))
        {
            // Records of the subject under the erasure lock: the KEK and the subject directory (Keys), the record and its
            // inventory item, the lock's check.
            GrantTable(target, Table(ResourceCatalog.Keys), "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem");
            GrantTable(target, records, "dynamodb:GetItem", "dynamodb:PutItem");
            GrantTable(target, inventory, "dynamodb:PutItem", "dynamodb:UpdateItem");
            GrantErasureLock(target, "dynamodb:ConditionCheckItem");
        }

        switch (handler)
        {
            case Handlers.IngestNormalize:
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:GetObject"], Resources = [ingest] }));
                break;
            case Handlers.IngestStore:
                // The object is read, stored as a record, then deleted from the ingest bucket.
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:GetObject", "s3:DeleteObject"], Resources = [ingest] }));
                break;
            case Handlers.IngestDerive:
                // Consent and restriction of the subject (current, read when the step runs).
                GrantTable(target, records, "dynamodb:Query");
                break;
            case Handlers.IngestPackEvidence:
                break;
            case Handlers.IngestRequestReview:
                // The review (a row and an inventory item of the subject, under the erasure lock); a decided review answers the token.
                GrantTable(target, records, "dynamodb:PutItem");
                GrantTable(target, inventory, "dynamodb:PutItem");
                GrantErasureLock(target, "dynamodb:ConditionCheckItem");
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:SendTaskSuccess"], Resources = ["*"] }));
                break;
            case Handlers.IngestDeliver:
                break;
            case Handlers.IngestRecordFailure:
                break;
            default:
                throw new InvalidOperationException($"The ingest workflow names a handler without grants: {handler}. Add its grants to IngestWorkflow.");
        }
    }

    protected override string Describe(string handler) => handler switch
    {
        Handlers.IngestNormalize => "Ingest: reads an upload by its type into segments, detects and classifies PII.",
        Handlers.IngestStore => "Ingest: stores the normalized content as a field-encrypted record of the subject with its provenance.",
        Handlers.IngestDerive => "Ingest: derives an insight from pseudonymized text (consent ai-processing, restriction honoured).",
        Handlers.IngestPackEvidence => "Ingest: assembles and cross-checks the evidence pack (L0 hashes, L1 citations, L2 checks).",
        Handlers.IngestRequestReview => "Ingest: stores the review with its task token and notifies review.pending; waits for a reviewer.",
        Handlers.IngestDeliver => "Ingest: applies an approved review (edits, visibility shared), delivers the upload, notifies.",
        Handlers.IngestRecordFailure => "Ingest: records a failure on the job, the audit and the upload (the Catch of every Task).",
        _ => $"Ingest step {handler}.",
    };
}
