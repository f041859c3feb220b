using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Org;
using Codes = Sluice.Emulators.Salesforce.Org.StatusCodes;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// sObject Collections (<c>/composite/sobjects</c>, reference §2.6): create, update, upsert, delete and retrieve
/// up to 200 records in one call. Answers 200 with one result per record in request order; per-record errors use
/// <c>statusCode</c>; <c>allOrNone</c> rolls back through the org's save path.
/// </summary>
internal sealed class CollectionsHandler(SalesforceState state)
{
    public const int MaxRecords = 200;

    public async Task HandleAsync(RestCall call)
    {
        var segments = call.Segments;
        var method = call.Method;
        switch (segments.Count)
        {
            case 2 when HttpMethods.IsPost(method):
                await SaveAsync(call, SaveOperation.Insert, null, null);
                return;
            case 2 when HttpMethods.IsPatch(method):
                await SaveAsync(call, SaveOperation.Update, null, null);
                return;
            case 2 when HttpMethods.IsDelete(method):
                await DeleteAsync(call);
                return;
            case 2:
                await call.MethodNotAllowedAsync("POST", "PATCH", "DELETE");
                return;
            case 3 when HttpMethods.IsPost(method) || HttpMethods.IsGet(method):
                await RetrieveAsync(call, segments[2]);
                return;
            case 4 when HttpMethods.IsPatch(method):
                await SaveAsync(call, SaveOperation.Upsert, segments[2], segments[3]);
                return;
            default:
                await call.NotFoundAsync();
                return;
        }
    }

    private async Task SaveAsync(RestCall call, SaveOperation operation, string? objectName, string? externalIdField)
    {
        if (await call.ReadJsonAsync() is not { } node)
        {
            return;
        }

        if (node is not JsonObject body || body["records"] is not JsonArray records)
        {
            await call.ErrorAsync(400, Codes.JsonParserError, "The request body must be {\"allOrNone\": …, \"records\": [ … ]}");
            return;
        }

        if (records.Count > MaxRecords)
        {
            await call.ErrorAsync(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call");
            return;
        }

        if (objectName is not null)
        {
            if (!state.Org.TryGetSchema(objectName, out var schema))
            {
                await call.NotFoundAsync();
                return;
            }

            if (!schema.TryGetField(externalIdField!, out var field) || !(field.ExternalId || field.Type == FieldType.Id))
            {
                await call.ErrorAsync(400, Codes.InvalidField, $"Field name provided, {externalIdField} is not an External ID or indexed field for {schema.Name}");
                return;
            }

            objectName = schema.Name;
        }

        var requests = new List<SaveRequest>(records.Count);
        foreach (var item in records)
        {
            if (item is not JsonObject record)
            {
                await call.ErrorAsync(400, Codes.JsonParserError, "Each record must be a JSON object");
                return;
            }

            var type = record["attributes"]?["type"]?.ToString();
            if (operation == SaveOperation.Upsert && type is not null && !type.Equals(objectName, StringComparison.OrdinalIgnoreCase))
            {
                await call.ErrorAsync(400, Codes.InvalidField, $"All records must be of the URI's type {objectName}, not {type}");
                return;
            }

            var fields = RecordJson.Fields(record);
            var id = fields.FirstOrDefault(f => f.Key.Equals("Id", StringComparison.OrdinalIgnoreCase)).Value?.ToString();
            requests.Add(new SaveRequest
            {
                Operation = operation,
                ObjectName = objectName ?? type,
                Id = operation == SaveOperation.Update ? id : null,
                ExternalIdField = externalIdField,
                Fields = fields,
            });
        }

        var allOrNone = body["allOrNone"] is JsonValue flag && flag.TryGetValue<bool>(out var value) && value;
        var results = state.Org.Save(requests, state.SaveOptions(allOrNone, call.UserId, call.ChangeOrigin));
        await call.JsonAsync(200, new JsonArray([.. results.Select(r => (JsonNode)SalesforceResponses.SaveResult(r, operation == SaveOperation.Upsert))]));
    }

    private async Task DeleteAsync(RestCall call)
    {
        var ids = call.Query("ids").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0)
        {
            await call.ErrorAsync(400, Codes.MissingArgument, "ids parameter is required");
            return;
        }

        if (ids.Length > MaxRecords)
        {
            await call.ErrorAsync(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call");
            return;
        }

        var allOrNone = call.Query("allOrNone").Equals("true", StringComparison.OrdinalIgnoreCase);
        var results = state.Org.Save([.. ids.Select(id => new SaveRequest { Operation = SaveOperation.Delete, Id = id })], state.SaveOptions(allOrNone, call.UserId, call.ChangeOrigin));
        await call.JsonAsync(200, new JsonArray([.. results.Select(r => (JsonNode)SalesforceResponses.SaveResult(r, false))]));
    }

    private async Task RetrieveAsync(RestCall call, string objectName)
    {
        if (!state.Org.TryGetSchema(objectName, out var schema))
        {
            await call.NotFoundAsync();
            return;
        }

        string[] ids;
        string fieldList;
        if (HttpMethods.IsPost(call.Method))
        {
            if (await call.ReadJsonAsync() is not JsonObject body)
            {
                if (!call.Context.Response.HasStarted)
                {
                    await call.ErrorAsync(400, Codes.JsonParserError, "The request body must be {\"ids\": [ … ], \"fields\": [ … ]}");
                }

                return;
            }

            ids = [.. (body["ids"] as JsonArray ?? []).Select(n => n?.ToString() ?? "")];
            fieldList = string.Join(',', (body["fields"] as JsonArray ?? []).Select(n => n?.ToString() ?? ""));
        }
        else
        {
            ids = call.Query("ids").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            fieldList = call.Query("fields");
        }

        if (fieldList.Length == 0)
        {
            await call.ErrorAsync(400, Codes.MissingArgument, "fields parameter is required");
            return;
        }

        if (ids.Length > 2000)
        {
            await call.ErrorAsync(400, "EXCEEDED_ID_LIMIT", "cannot retrieve more than 2000 records in one call");
            return;
        }

        var fields = RecordJson.SelectFields(schema, fieldList, out var unknown);
        if (fields is null)
        {
            await call.ErrorAsync(400, Codes.InvalidField, $"No such column '{unknown}' on sobject of type {schema.Name}");
            return;
        }

        var records = new JsonArray();
        foreach (var id in ids)
        {
            var record = state.Org.Find(id);
            records.Add(record is { IsDeleted: false } && record.Schema == schema ? RecordJson.Write(record, call.BasePath, fields) : null);
        }

        await call.JsonAsync(200, records);
    }
}
