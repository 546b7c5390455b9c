'use strict';
// What web-dashboard needs from inventory-api, as a V4 pact (pact-js, its Rust core in the npm
// package), under node's own test runner. Each test declares its interactions on the pact-js mock
// server, runs the real client against it and checks what the client made of the answers.
//
// The pact goes into the folder named by TESTGATE_PACT_DIR (set by `testgate consumer`), or
// ./pacts when run by hand. Run: `node --test` (add `--test-reporter=junit
// --test-reporter-destination=FILE` for a JUnit report).

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe, test } = require('node:test');
const { PactV4, MatchersV3 } = require('@pact-foundation/pact');
const { InventoryClient, ProductNotFound } = require('../src/inventoryClient');

const { boolean, decimal, eachLike, integer, regex, string } = MatchersV3;

process.env.PACT_DO_NOT_TRACK ??= 'true';
const PACT_DIR = path.resolve(process.env.TESTGATE_PACT_DIR || 'pacts');

const pact = new PactV4({
  consumer: 'web-dashboard',
  provider: 'inventory-api',
  dir: PACT_DIR,
  logLevel: 'warn',
});

// The fields the dashboard reads from a product (shape and types, not the demo data).
const PRODUCT_SUMMARY = {
  id: string('p-100'),
  name: string('Widget'),
  price: { amount: decimal(12.5), currency: regex(/^[A-Z]{3}$/, 'EUR') },
  inStock: boolean(true),
};

const JSON_HEADERS = { 'Content-Type': 'application/json' };

describe('inventory-api, as the web dashboard uses it', () => {
  test('lists the products for the overview', async () => {
    await pact
      .addInteraction()
      .given('products exist')
      .uponReceiving('a request for all products, from the web dashboard')
      .withRequest('GET', '/products', (req) => req.headers({ Accept: 'application/json' }))
      .willRespondWith(200, (res) =>
        res.headers(JSON_HEADERS).jsonBody({ products: eachLike(PRODUCT_SUMMARY), count: integer(3) }),
      )
      .executeTest(async (server) => {
        const products = await new InventoryClient(server.url).listProducts();
        assert.equal(products.length, 1);
        assert.deepEqual(products[0], {
          id: 'p-100',
          name: 'Widget',
          price: 12.5,
          currency: 'EUR',
          inStock: true,
        });
      });
  });

  test('shows one product with its stock', async () => {
    await pact
      .addInteraction()
      .given('a product with id exists', { id: 'p-100', stock: 7 })
      .uponReceiving('a request for product p-100, from the web dashboard')
      .withRequest('GET', '/products/p-100', (req) => req.headers({ Accept: 'application/json' }))
      .willRespondWith(200, (res) =>
        res.headers(JSON_HEADERS).jsonBody({
          ...PRODUCT_SUMMARY,
          stock: { available: integer(7), warehouse: string('berlin-1') },
        }),
      )
      .executeTest(async (server) => {
        const product = await new InventoryClient(server.url).getProduct('p-100');
        assert.equal(product.available, 7);
        assert.equal(product.warehouse, 'berlin-1');
        assert.equal(product.price, 12.5);
      });
  });

  test('says when a product does not exist', async () => {
    await pact
      .addInteraction()
      .given('no product with id exists', { id: 'p-404' })
      .uponReceiving('a request for a product that does not exist, from the web dashboard')
      .withRequest('GET', '/products/p-404', (req) => req.headers({ Accept: 'application/json' }))
      .willRespondWith(404, (res) =>
        res.headers(JSON_HEADERS).jsonBody({ error: string('product p-404 not found') }),
      )
      .executeTest(async (server) => {
        await assert.rejects(new InventoryClient(server.url).getProduct('p-404'), ProductNotFound);
      });
  });
});
