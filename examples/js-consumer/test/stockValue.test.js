'use strict';
// The dashboard's headline computed from what the client returns (a unit test: the calls
// themselves are pinned by the contract tests beside it).

const assert = require('node:assert/strict');
const { describe, test } = require('node:test');
const { stockValue } = require('../src/inventoryClient');

describe('stock value', () => {
  test('multiplies the stock of each product in stock by its price', async () => {
    const client = {
      listProducts: async () => [
        { id: 'p-100', price: 12.5, inStock: true },
        { id: 'p-200', price: 99, inStock: false },
      ],
      getProduct: async (id) => ({ id, available: 7 }),
    };
    assert.equal(await stockValue(client), 87.5);
  });
});
