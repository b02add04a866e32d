// The record lives in model/ (every layer imports it); this path stays for pipelines/ and cli/ until they import model/.
export * from '../model/record.js';
